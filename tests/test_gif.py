"""drawing/gif.py: frame timing, and GIFs that play back exactly the frames drawn (decoded with Pillow)."""

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from conftest import decode_gif
from drawing import gif
from drawing.style import COLORS

HEIGHT, WIDTH = 40, 60
LINE_COLORS = {name: tuple(int(round(255 * channel)) for channel in to_rgb(COLORS[name]))
               for name in ("net", "marker", "floor", "validation", "truth", "median")}




def played(frames, durations):
    """What a viewer shows: (picture, how long) with consecutive equal pictures merged."""
    shown = []
    for frame, duration in zip(frames, durations):
        if shown and np.array_equal(shown[-1][0], frame):
            shown[-1][1] += duration
        else:
            shown.append([frame, duration])
    return shown


def moving_line_frame(index: int) -> np.ndarray:
    """A white frame with a line of each role's colour, the net's line moving with index."""
    frame = np.full((HEIGHT, WIDTH, 4), 255, np.uint8)
    for row, color in enumerate(LINE_COLORS.values()):
        frame[3 + 5 * row, 2:50, :3] = color
    frame[32:35, index : index + 8, :3] = LINE_COLORS["net"]
    return frame


# --- frame timing -------------------------------------------------------------------------------

def test_each_frame_lasts_one_over_fps_and_the_last_one_is_held():
    assert gif.frame_durations_ms(5, 20, 2.5) == [50, 50, 50, 50, 2500]
    assert gif.frame_durations_ms(3, 10, 1) == [100, 100, 1000]
    assert gif.frame_durations_ms(1, 20, 2.5) == [2500]


@pytest.mark.parametrize("fps", [50, 60, 1000])
def test_no_frame_is_shorter_than_20_ms(fps):
    """Browsers slow delays of 10 ms or less down to 100 ms."""
    durations = gif.frame_durations_ms(4, fps, 0)
    assert durations == [20, 20, 20, 20]


def test_a_held_last_frame_is_never_shorter_than_the_others():
    assert gif.frame_durations_ms(3, 0.5, 0) == [2000, 2000, 2000]
    assert gif.frame_durations_ms(3, 2, 0.1) == [500, 500, 500]


# --- write_gif ----------------------------------------------------------------------------------

def test_a_gif_has_every_frame_exactly_as_drawn_with_its_duration_and_loops(tmp_path):
    count = 12
    durations = gif.frame_durations_ms(count, 20, 2.5)
    gif.write_gif(tmp_path / "a.gif", lambda index: moving_line_frame(index), count, durations)
    frames, decoded_durations, loop, _ = decode_gif(tmp_path / "a.gif")
    assert len(frames) == count
    assert decoded_durations == durations
    assert loop == 0, "loops forever"
    for index, frame in enumerate(frames):
        assert (frame[..., 3] == 255).all(), f"frame {index} is not fully opaque as shown"
        np.testing.assert_array_equal(frame[..., :3], moving_line_frame(index)[..., :3], err_msg=f"frame {index}")


def test_white_and_the_line_colours_stay_exact_among_more_shades_than_a_palette_holds(tmp_path):
    """A GIF has 256 colours; anti-aliasing makes many more. White and the line colours, the most
    frequent, are kept exactly; every other shade shows as its nearest palette colour."""
    rng = np.random.default_rng(0)
    shades = rng.integers(0, 256, size=(8, WIDTH, 3), dtype=np.uint8)  # 480 shades, each rare

    def draw(index: int) -> np.ndarray:
        frame = moving_line_frame(index)
        frame[HEIGHT - 8 :, :, :3] = np.roll(shades, index, axis=1)
        return frame

    gif.write_gif(tmp_path / "shades.gif", draw, 5, [50] * 5)
    frames, _, _, palette = decode_gif(tmp_path / "shades.gif")
    assert len(frames) == 5
    for index, frame in enumerate(frames):
        drawn, shown = draw(index)[..., :3].astype(int), frame[..., :3].astype(int)
        exact = np.zeros(drawn.shape[:2], bool)
        for color in [(255, 255, 255), *LINE_COLORS.values()]:
            exact |= (drawn == color).all(axis=-1)
        np.testing.assert_array_equal(shown[exact], drawn[exact], err_msg=f"frame {index}")
        assert exact.sum() > HEIGHT * WIDTH / 2
        # Every pixel shows a palette colour nearest to the one drawn (ties may go either way).
        to_shown = ((drawn - shown) ** 2).sum(axis=-1)
        to_nearest = ((drawn[:, :, None, :] - palette[None, None, :, :]) ** 2).sum(axis=-1).min(axis=-1)
        np.testing.assert_array_equal(to_shown, to_nearest, err_msg=f"frame {index}")


def test_draw_frame_may_return_the_same_buffer_each_time(tmp_path):
    """A matplotlib canvas hands out its own buffer, overwritten by the next frame."""
    buffer = np.empty((HEIGHT, WIDTH, 4), np.uint8)

    def draw(index: int) -> np.ndarray:
        buffer[...] = moving_line_frame(index)
        return buffer

    gif.write_gif(tmp_path / "reused.gif", draw, 6, [40] * 6)
    frames, _, _, _ = decode_gif(tmp_path / "reused.gif")
    assert len(frames) == 6
    for index, frame in enumerate(frames):
        np.testing.assert_array_equal(frame[..., :3], moving_line_frame(index)[..., :3], err_msg=f"frame {index}")


@pytest.mark.parametrize("sequence", [[0, 3, 3, 6], [2, 2], [5]])
def test_a_frame_equal_to_the_previous_one_still_makes_a_valid_gif_that_plays_the_same(tmp_path, sequence):
    durations = [50 + 10 * index for index in range(len(sequence))]
    gif.write_gif(tmp_path / "same.gif", lambda index: moving_line_frame(sequence[index]), len(sequence), durations)
    frames, decoded_durations, loop, _ = decode_gif(tmp_path / "same.gif")
    assert loop == 0
    shown = played([frame[..., :3] for frame in frames], decoded_durations)
    expected = played([moving_line_frame(index)[..., :3] for index in sequence], durations)
    assert len(shown) == len(expected)
    for (picture, duration), (drawn, expected_duration) in zip(shown, expected):
        np.testing.assert_array_equal(picture, drawn)
        assert duration == expected_duration


def test_key_colours_stay_exact_however_rare(tmp_path):
    # 300 colours, ten pixels each, fill each frame: more than a palette holds. One pixel of red
    # is the marker, the rarest colour of all.
    colour = np.repeat(np.arange(300), 10).reshape(30, 100)
    red, green = (colour % 256).astype(np.uint8), (colour // 256 * 100).astype(np.uint8)

    def frame(index):
        pixels = np.dstack([red, green, np.zeros_like(red), np.full_like(red, 255)])
        pixels[0, index] = (214, 39, 40, 255)
        return pixels

    gif.write_gif(tmp_path / "key.gif", frame, 3, [50, 50, 50], key_colors=[(214, 39, 40)])
    frames, *_ = decode_gif(tmp_path / "key.gif")
    assert all(tuple(frames[index][0, index, :3]) == (214, 39, 40) for index in range(3))
    gif.write_gif(tmp_path / "plain.gif", frame, 3, [50, 50, 50])
    frames, *_ = decode_gif(tmp_path / "plain.gif")
    assert tuple(frames[1][0, 1, :3]) != (214, 39, 40), "without being a key colour, it is too rare to be kept"


def test_each_frame_is_drawn_once_and_handed_in_order_to_each_frame(tmp_path):
    """The palette's samples (first, middle, last) are kept until their turn, not drawn again; a
    video written at the same time (each_frame) gets the very frames the GIF does."""
    drawn, handed = [], []
    buffer = np.empty((HEIGHT, WIDTH, 4), np.uint8)

    def draw(index: int) -> np.ndarray:
        drawn.append(index)
        buffer[...] = moving_line_frame(index)
        return buffer

    gif.write_gif(tmp_path / "once.gif", draw, 7, [50] * 7, each_frame=lambda frame: handed.append(frame.copy()))
    assert sorted(drawn) == list(range(7))
    frames, _, _, _ = decode_gif(tmp_path / "once.gif")
    assert len(handed) == len(frames) == 7
    for index, (frame, shown) in enumerate(zip(handed, frames)):
        np.testing.assert_array_equal(frame, moving_line_frame(index), err_msg=f"frame {index}")
        np.testing.assert_array_equal(shown[..., :3], frame[..., :3], err_msg=f"frame {index}")
