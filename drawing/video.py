"""Write an animation as a video to share: MP4 (H.264) or WebM (VP9), encoded by the ffmpeg that
imageio-ffmpeg ships in its wheel (the optional video extra: pip install -e '.[video]').

Knows nothing about runs or matplotlib, as gif.py: it is handed the GIF's frames in order, as
drawn ((H, W, 4) uint8 RGBA), with the GIF's frame durations (gif.frame_durations_ms), and plays
them as the GIF does: the same frames, for the same times, the last one held.
"""

from __future__ import annotations

import contextlib
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

import outputs
from config import ConfigError

INSTALL_EXTRA = "pip install -e '.[video]'"

# Each format's encoder and ffmpeg output options. The container is named (-f): a video is written
# under a temporary name (outputs.written_in_place), from which ffmpeg cannot guess it.
ENCODERS = {
    # H.264 at CRF 23 (x264's default quality). A wider motion search (umh), finer subpixel
    # refinement and trellis quantization make fit.gif's run 167 KB instead of x264's default 180 KB
    # (its GIF: 558 KB), for 0.1-0.2 s more. faststart puts the index first: a browser starts
    # playing before it has the whole file.
    "mp4": ("libx264", ["-f", "mp4", "-crf", "23", "-x264-params", "me=umh:subme=8:trellis=2",
                        "-movflags", "+faststart"]),
    # VP9 at constant quality (crf, with no bitrate cap: b:v 0). libvpx's 'good' deadline takes 3.4 s
    # for fit.gif's run (235 KB); 'realtime' at cpu-used 5 takes under a second (cpu-used 8: 380 KB).
    # Tuned for screen content (flat colours, lines and text), its numbers come out sharper, with a
    # third as many pixels off, in 256 KB instead of 280 KB. row-mt: a frame's rows on several threads.
    "webm": ("libvpx-vp9", ["-f", "webm", "-crf", "32", "-b:v", "0", "-deadline", "realtime", "-cpu-used", "5",
                            "-tune-content", "screen", "-row-mt", "1"]),
}


def check_available(formats: list[str]) -> None:
    """Raise a ConfigError if videos are asked for (render.video) and the video extra, which holds
    their encoder, is not installed: called before any work, so that nothing is trained or written
    only to fail when the pictures are drawn."""
    if not formats:
        return
    asked = f"render.video asks for {' and '.join(formats)}"
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except ImportError:
        raise ConfigError(f"{asked}, which needs the optional video extra: {INSTALL_EXTRA} "
                          "(or set render.video to [] for GIFs only)") from None
    except RuntimeError as error:  # the extra without its ffmpeg (a platform it has no wheel for)
        raise ConfigError(f"{asked}, and imageio-ffmpeg finds no ffmpeg ({error})") from None


def frame_repeats(durations_ms: list[int]) -> tuple[Fraction, list[int]]:
    """A video's frame rate, and how many times each frame is shown in it, for frames of these
    durations (gif.frame_durations_ms: 1/fps each, the last one held longer).

    A video has one frame rate: the GIF's, one frame each shortest duration. A frame shown longer
    (the last one, held) is repeated: round(duration / step) times, so its time is the GIF's within
    half a step (25 ms at 20 frames a second). An encoder codes a repeated frame as 'unchanged':
    it costs a few bytes."""
    step = min(durations_ms)
    return Fraction(1000, step), [max(1, round(duration / step)) for duration in durations_ms]


def even_sized(frame: np.ndarray) -> np.ndarray:
    """The frame, or for an odd width or height the frame padded by one pixel to even (its last
    column or row repeated): yuv420p keeps colour at half the resolution, and H.264 needs both even."""
    height, width = frame.shape[:2]
    if height % 2 == 0 and width % 2 == 0:
        return frame
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")


class _Videos:
    """The videos being written: an ffmpeg process each, started with the first frame (whose size
    they take), fed every frame as often as frame_repeats says."""

    def __init__(self, temporaries: list[Path], finals: list[Path], durations_ms: list[int]):
        self.temporaries, self.finals, self.frame_count = temporaries, finals, len(durations_ms)
        self.fps, self.repeats = frame_repeats(durations_ms)
        self.encoders, self.given, self.shape = [], 0, None

    def add(self, frame: np.ndarray) -> None:
        frame = np.ascontiguousarray(even_sized(frame))
        if self.shape is None:
            self.shape = frame.shape
            self.encoders = [self._start(temporary, final.suffix[1:]) for temporary, final in
                             zip(self.temporaries, self.finals)]
        if frame.shape != self.shape or self.given >= self.frame_count:
            raise ValueError(f"a video takes {self.frame_count} frames of one size, {self.shape}; got frame "
                             f"{self.given} of {frame.shape}")
        for _ in range(self.repeats[self.given]):
            for final, encoder in zip(self.finals, self.encoders):
                try:
                    encoder.send(frame)
                except OSError as error:  # ffmpeg stopped: its own message is on stderr
                    raise RuntimeError(f"ffmpeg stopped writing {final.name}: {str(error).splitlines()[0]}") from None
        self.given += 1

    def _start(self, temporary: Path, video_format: str):
        import imageio_ffmpeg

        codec, options = ENCODERS[video_format]
        height, width = self.shape[:2]
        # macro_block_size=1: the frame's own size, not scaled up to a multiple of 16. The frame rate
        # is given again as a fraction, which ffmpeg takes exactly: imageio-ffmpeg before 0.8 writes
        # it with two decimals (an -r given later wins).
        encoder = imageio_ffmpeg.write_frames(str(temporary), (width, height), pix_fmt_in="rgba", pix_fmt_out="yuv420p",
                                              fps=float(self.fps), input_params=["-r", str(self.fps)], quality=None,
                                              codec=codec, macro_block_size=1, ffmpeg_log_level="error",
                                              output_params=options)
        encoder.send(None)  # starts ffmpeg
        return encoder

    def close(self) -> None:
        """Let each ffmpeg finish its file (after an error too: its temporary file is removed then)."""
        for encoder in self.encoders:
            encoder.close()

    def check_complete(self) -> None:
        written = all(temporary.is_file() and temporary.stat().st_size > 0 for temporary in self.temporaries)
        if self.given != self.frame_count or not written:
            raise RuntimeError(f"{', '.join(final.name for final in self.finals)}: {self.given} frames of "
                               f"{self.frame_count} were written")


@contextlib.contextmanager
def videos_written(paths: list[Path], durations_ms: list[int]) -> Iterator[Callable[[np.ndarray], None] | None]:
    """Write a video at each of paths (its format: its suffix, .mp4 or .webm) from the frames handed,
    in order, to the function this yields, one per duration in durations_ms; each under a temporary
    name, moved into place when the block ends without an error. Yields None for no paths."""
    if not paths:
        yield None
        return
    with contextlib.ExitStack() as stack:
        temporaries = [stack.enter_context(outputs.written_in_place(path)) for path in paths]
        videos = _Videos(temporaries, list(paths), durations_ms)
        try:
            yield videos.add
        finally:
            videos.close()
        videos.check_complete()
