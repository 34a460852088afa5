"""drawing/video.py and render.video: each animation also as MP4 and WebM, tested by decoding them
(imageio-ffmpeg, the video extra, which `make test` installs) against the GIF of the same frames;
and the one-line error, before any work, where the extra is missing."""

import hashlib
import importlib.util
import os
import subprocess
import sys
import textwrap
from fractions import Fraction

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import animate
import comparisons
import config as config_module
import rendering
import rundir
from conftest import ROOT, decode_gif, synthetic_run
from drawing import video
from drawing.curvature_figures import NoteAnimation
from drawing.fit_frames import FitAnimation

needs_extra = pytest.mark.skipif(importlib.util.find_spec("imageio_ffmpeg") is None,
                                 reason=f"the video extra is not installed ({video.INSTALL_EXTRA}); make test installs it")
SMALL = (480, 270)
FRAMES = 12
# How close a video's pixels are to the GIF's: in its flat areas (see flat), each frame's pixels
# within 10 levels of 255, all but a few in a thousand. Lossy coding at CRF 23 leaves faint ringing
# and ghosts of the numbers that change from frame to frame (a few dozen pixels, up to ~60 levels,
# next to them); a wrong colour conversion, size or frame would put thousands off.
TOLERANCE, SHARE_WITHIN = 10, 0.998


def decoded(path):
    """A video's metadata (its 'size', 'fps', 'codec') and every frame, (n, height, width, 3) RGB."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
    metadata = next(reader)
    width, height = metadata["size"]
    return metadata, np.stack([np.frombuffer(frame, np.uint8).reshape(height, width, 3) for frame in reader])


def gif_as_played(path) -> tuple[np.ndarray, np.ndarray]:
    """The GIF's frames (RGB), and which of them a video shows at each of its frames, at the GIF's
    shortest frame time: each frame repeated for as many of those steps as it lasts (the held last
    frame, many times)."""
    frames, durations, _, _ = decode_gif(path)
    step = min(durations)
    return frames[..., :3].astype(np.int16), np.repeat(np.arange(len(frames)), [round(duration / step) for duration in durations])


def flat(frame: np.ndarray) -> np.ndarray:
    """The pixels whose 7x7 neighbourhood is all one colour: at least 3 pixels from any edge
    between colours and from the border."""
    colour = frame[..., 0].astype(np.int32) << 16 | frame[..., 1].astype(np.int32) << 8 | frame[..., 2]
    highest, lowest = colour, colour
    for axis in (0, 1):  # the 7x7 window's extremes, a row of 7 at a time then a column of 7
        highest = sliding_window_view(highest, 7, axis=axis).max(axis=-1)
        lowest = sliding_window_view(lowest, 7, axis=axis).min(axis=-1)
    inside = np.zeros(colour.shape, bool)
    inside[3:-3, 3:-3] = highest == lowest
    return inside


def assert_plays_the_gif(video_path, gif_path) -> None:
    """The video shows the GIF's frames in order, holds expanded, in its top-left corner (a padded
    video is larger by a pixel): each frame's flat pixels as the GIF's (TOLERANCE, SHARE_WITHIN),
    and each frame closer to its own GIF frame than to the ones before and after it."""
    _, frames = decoded(video_path)
    drawn, shown = gif_as_played(gif_path)
    assert len(frames) == len(shown)
    height, width = drawn.shape[1:3]
    frames, flat_areas = frames[:, :height, :width].astype(np.int16), [flat(frame) for frame in drawn]
    for index, (frame, expected) in enumerate(zip(frames, shown)):
        difference = np.abs(frame - drawn[expected]).max(axis=-1)[flat_areas[expected]]
        within = np.mean(difference <= TOLERANCE)
        assert difference.size > height * width / 3 and within >= SHARE_WITHIN, \
            f"{video_path.name} frame {index}: {within:.2%} of its flat pixels within {TOLERANCE} levels"
        distances = {other: np.abs(frame - drawn[other]).mean() for other in range(max(expected - 1, 0),
                                                                                  min(expected + 2, len(drawn)))}
        assert min(distances, key=distances.get) == expected, f"{video_path.name} frame {index}: {distances}"


def written_animation(folder, width: int, height: int, formats: list[str]):
    """fit.gif of a synthetic run of FRAMES frames at this size, with its videos in formats."""
    run = synthetic_run(epochs=100, frames=FRAMES, render={"width_pixels": width, "height_pixels": height,
                                                            "video": formats})
    folder.mkdir()
    videos = rendering.video_paths(run, folder, "fit.gif")
    assert rendering.write_animation(FitAnimation(run, width, height), run, folder / "fit.gif", videos) == FRAMES
    return folder / "fit.gif", videos


@pytest.fixture(scope="module")
def small_videos(tmp_path_factory):
    return written_animation(tmp_path_factory.mktemp("videos") / "run", *SMALL, ["mp4", "webm"])


# --- frame times and sizes ------------------------------------------------------------------------

def test_a_video_has_the_gifs_frame_rate_and_repeats_the_held_frame():
    assert video.frame_repeats([50, 50, 50, 2500]) == (20, [1, 1, 1, 50])
    assert video.frame_repeats([100, 100, 1000]) == (10, [1, 1, 10])
    # A hold that is not a whole number of steps is rounded to the nearest one.
    assert video.frame_repeats([40, 40, 1030]) == (25, [1, 1, 26])
    assert video.frame_repeats([2500]) == (Fraction(2, 5), [1])


def test_an_odd_frame_is_padded_by_one_pixel_repeating_its_edge():
    frame = np.arange(5 * 7 * 4, dtype=np.uint8).reshape(5, 7, 4)
    padded = video.even_sized(frame)
    assert padded.shape == (6, 8, 4)
    np.testing.assert_array_equal(padded[:5, :7], frame)
    np.testing.assert_array_equal(padded[5, :7], frame[4])
    np.testing.assert_array_equal(padded[:5, 7], frame[:, 6])
    even = frame[:4, :6]
    assert video.even_sized(even) is even


def test_every_format_a_config_may_name_has_an_encoder():
    assert set(video.ENCODERS) == set(config_module.VIDEO_FORMATS)


# --- decoded --------------------------------------------------------------------------------------

@needs_extra
@pytest.mark.parametrize("video_format, codec", [("mp4", "h264"), ("webm", "vp9")])
def test_a_video_plays_the_gifs_frames_at_its_size_and_rate(small_videos, video_format, codec):
    gif_path, videos = small_videos
    path = gif_path.with_suffix(f".{video_format}")
    assert path in videos and path.read_bytes()
    metadata, frames = decoded(path)
    assert metadata["codec"].startswith(codec) and metadata["size"] == SMALL and metadata["fps"] == 20
    assert_plays_the_gif(path, gif_path)


@needs_extra
def test_videos_are_written_under_temporary_names_and_only_they_are_left(small_videos):
    gif_path, _ = small_videos
    assert sorted(path.name for path in gif_path.parent.iterdir()) == ["fit.gif", "fit.mp4", "fit.webm"]


@needs_extra
def test_an_odd_sized_animation_is_padded_to_even_in_its_video(tmp_path):
    gif_path, (path,) = written_animation(tmp_path / "odd", 481, 271, ["mp4"])
    metadata, frames = decoded(path)
    assert metadata["size"] == (482, 272)
    assert_plays_the_gif(path, gif_path)
    drawn, shown = gif_as_played(gif_path)
    for padding, edge in [(frames[:, -1, :-1], drawn[shown][:, -1]), (frames[:, :-1, -1], drawn[shown][:, :, -1])]:
        assert np.mean(np.abs(padding - edge).max(axis=-1) <= TOLERANCE) >= SHARE_WITHIN, "it repeats the edge"


# --- the commands ---------------------------------------------------------------------------------

def snapshot(folder) -> dict:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


@needs_extra
def test_animate_set_render_video_writes_the_videos_of_a_saved_run(synthetic_run_dir, capsys):
    run_dir = synthetic_run_dir(epochs=100, frames=FRAMES, render={"width_pixels": 480, "height_pixels": 270})
    config_before = (run_dir / rundir.CONFIG_FILE).read_bytes()
    assert animate.main([str(run_dir), "--set", "render.video=[mp4]"]) == 0
    assert "fit.mp4" in capsys.readouterr().out
    assert (run_dir / rundir.CONFIG_FILE).read_bytes() == config_before, "--set draws once, config.yaml stays"
    for name in ("fit", "units"):
        assert not (run_dir / f"{name}.webm").exists()
        metadata, frames = decoded(run_dir / f"{name}.mp4")
        assert len(frames) == len(gif_as_played(run_dir / f"{name}.gif")[1])
    run = rundir.read_run(run_dir, ["render.video=[mp4]"])
    assert rundir.picture_names(run)[-2:] == ("fit.mp4", "units.mp4")
    assert rundir.files_present(run_dir)[-2:] == ["fit.mp4", "units.mp4"]


BLOCKER = """
import sys

class NoVideoExtra:
    # As if imageio-ffmpeg were not installed.
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "imageio_ffmpeg":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoVideoExtra())
"""


def test_without_the_extra_asking_for_a_video_is_one_line_before_any_work(synthetic_run_dir, tmp_path):
    """Run where imageio_ffmpeg cannot be imported (a sitecustomize that refuses it): animate.py
    draws nothing, train.py trains nothing, study.py (whose cells are to draw their GIFs) starts no
    cell; each says what to install."""
    run_dir = synthetic_run_dir(epochs=100, frames=FRAMES)
    before = snapshot(run_dir)
    (tmp_path / "blocker").mkdir()
    (tmp_path / "blocker" / "sitecustomize.py").write_text(BLOCKER)
    script = textwrap.dedent(f"""
        import sys
        import animate, study, train
        try:
            import imageio_ffmpeg
        except ImportError:
            print("blocked")
        asked = ["--set", "render.video=[mp4, webm]"]
        print(animate.main([{str(run_dir)!r}] + asked), flush=True)
        print(train.main(["--config", {str(ROOT / 'experiments' / 'adam_2x10.yaml')!r}, "--output-dir",
                          {str(tmp_path / 'trained')!r}, "--no-progress"] + asked), flush=True)
        print(study.main([{str(ROOT / 'experiments' / 'study_optimizer_vs_layers.yaml')!r}, "--output-dir",
                          {str(tmp_path / 'study')!r}, "--no-progress", "--set", "render.pictures=all"] + asked),
              flush=True)
    """)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "blocker"), str(ROOT)])}
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment,
                              cwd=tmp_path, timeout=120)
    assert finished.stdout.split() == ["blocked", "2", "2", "2"], finished.stdout + finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 3 and "Traceback" not in finished.stderr, finished.stderr
    for line in lines:
        assert line == ("error: render.video asks for mp4 and webm, which needs the optional video extra: "
                        "pip install -e '.[video]' (or set render.video to [] for GIFs only)")
    assert snapshot(run_dir) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["blocker", run_dir.name], "nothing trained or written"


@needs_extra
def test_a_note_in_place_of_an_animation_is_a_video_of_one_frame_held(tmp_path):
    """landscape.gif says why a run has no landscape where it has none: its video says the same."""
    run = synthetic_run(epochs=100, frames=FRAMES, render={"video": ["mp4"]})
    videos = rendering.video_paths(run, tmp_path, "landscape.gif")
    rendering.write_animation(NoteAnimation(run, "curvature not worked out: a test"), run, tmp_path / "landscape.gif", videos)
    metadata, frames = decoded(videos[0])
    assert len(frames) == 1 and metadata["duration"] == run.config.render.last_frame_seconds
    assert_plays_the_gif(videos[0], tmp_path / "landscape.gif")


@needs_extra
def test_a_comparison_writes_the_videos_of_its_animations(synthetic_run_dir, tmp_path, capsys):
    small = {"epochs": 100, "frames": FRAMES, "render": {"width_pixels": 480, "height_pixels": 270}}
    runs = [str(synthetic_run_dir(name, **small)) for name in ("first", "second")]
    output = tmp_path / "compared"
    assert animate.main(["compare", *runs, "--output-dir", str(output), "--set", "render.video=[mp4]"]) == 0
    written = capsys.readouterr().out
    for name in ("compare.mp4", "units.mp4"):  # as a run's are (decoded above)
        assert str(output / name) in written and (output / name).read_bytes()[4:8] == b"ftyp"
    # Its own files, and a run's: the next comparison or run into the folder may replace them.
    assert all(comparisons.COMPARE_OUTPUT.owns(f"{name}.{video_format}") for name in ("compare", "units")
               for video_format in config_module.VIDEO_FORMATS)
    assert all(rundir.RUN_OUTPUT.owns(f"{name}.{video_format}") for name in ("fit", "seeds", "units", "landscape")
               for video_format in config_module.VIDEO_FORMATS)
