"""Write a looping GIF from RGBA frames: one exact palette shared by all frames, no dithering.

Knows nothing about runs or matplotlib: frames come from draw_frame(index) -> (H, W, 4) uint8.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

# The last palette entry marks "unchanged since the previous frame" (GIF transparency); with
# disposal 1 ("leave in place") the viewer keeps showing the previous frame's pixel there.
# Without it the 200-frame fit.gif is 3.1 MB instead of 0.57 MB.
TRANSPARENT = 255


def frame_durations_ms(frame_count: int, fps: float, last_frame_seconds: float) -> list[int]:
    """Per-frame delays: 1/fps each, the last one held. Delays of 10 ms or less are avoided,
    since browsers slow them down to 100 ms."""
    step = max(int(round(1000 / fps)), 20)
    durations = [step] * frame_count
    durations[-1] = max(int(round(1000 * last_frame_seconds)), step)
    return durations


def _keys(rgba: np.ndarray) -> np.ndarray:
    """Each pixel's colour as one 24-bit number (the RGBA bytes read as a little-endian uint32,
    alpha dropped), in a new array: one compare per pixel instead of three."""
    return np.ascontiguousarray(rgba).view("<u4")[..., 0] & 0xFFFFFF


def _rgb(keys: np.ndarray) -> np.ndarray:
    return np.stack([keys & 255, (keys >> 8) & 255, keys >> 16], axis=-1).astype(np.int32)


def _palette_mapper(palette: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A function from colours (24-bit keys) to the index of their nearest palette colour
    (palette: (N, 3) int32): a palette colour maps to itself, an anti-aliasing shade to the
    closest one. Pillow's quantize(palette=..., dither=NONE) cannot do this: its colour cache is
    coarse and maps pure white to (252, 252, 252)."""
    # Index + 1 of each colour met so far, 0 for colours not yet worked out: each distinct colour
    # (15,000 in fit.gif) is worked out once, not once per frame. np.zeros only reserves the
    # 16 MiB; pages are touched as colours are met.
    table = np.zeros(1 << 24, np.uint8)
    squares = (palette**2).sum(axis=1)

    def to_indices(keys: np.ndarray) -> np.ndarray:
        found = table[keys]
        if not found.all():
            unknown = np.unique(keys[found == 0])
            # argmin |c - p|^2 = argmin |p|^2 - 2 c.p, exact in integers, so a palette colour's
            # own entry always wins. int32, not float: NumPy multiplies integers itself, while a
            # float product goes to the multithreaded BLAS, whose threads wait for a free core
            # when the machine is busy (3-4 times slower then).
            table[unknown] = (squares - 2 * _rgb(unknown) @ palette.T).argmin(axis=1) + 1
            found = table[keys]
        return found - 1

    return to_indices


def write_gif(path: str | Path, draw_frame: Callable[[int], np.ndarray], frame_count: int,
              durations_ms: list[int], key_colors: list[tuple[int, int, int]] = (),
              each_frame: Callable[[np.ndarray], None] | None = None) -> None:
    """Draw frames 0..frame_count-1 with draw_frame (it may reuse its buffer), each once, and write
    them to path as a looping GIF. key_colors (RGB, 0-255) are kept exact whatever the samples hold.
    each_frame, if given, is handed every frame in order as drawn (to write a video of the same
    frames: drawing.video), before the GIF takes it; the array is only valid during the call."""
    # The palette: the key colours, then the most frequent colours of the first, middle and last
    # frames, exactly as drawn, 255 in all. One palette for all frames: no flicker, and it is
    # written once. (A colour that is rare in the samples, such as a small marker's, could
    # otherwise be left out and drawn in its nearest neighbour's colour.) The samples are kept
    # until their turn comes, so that no frame is drawn twice.
    drawn = {index: draw_frame(index).copy() for index in sorted({0, frame_count // 2, frame_count - 1})}
    samples = np.concatenate([_keys(rgba).ravel() for rgba in drawn.values()])
    colors, counts = np.unique(samples, return_counts=True)
    keys = np.array([red | green << 8 | blue << 16 for red, green, blue in key_colors], dtype=colors.dtype)
    frequent = colors[np.argsort(counts, kind="stable")[::-1]]
    chosen = np.concatenate([keys, frequent[~np.isin(frequent, keys)]])[:TRANSPARENT]
    # Entries left over (and the transparent one) get colours of their own: Pillow matches
    # palette entries by colour, and would shuffle duplicates.
    spare = np.setdiff1d(np.arange(257, dtype=chosen.dtype), chosen)[: 256 - len(chosen)]
    palette_bytes = _rgb(np.concatenate([chosen, spare])).astype(np.uint8).tobytes()
    to_indices = _palette_mapper(_rgb(chosen))

    def frames():
        previous = None  # the previous frame's colours
        for index in range(frame_count):
            rgba = drawn.pop(index) if index in drawn else draw_frame(index)
            if each_frame is not None:
                each_frame(rgba)
            current = _keys(rgba)
            if previous is None:
                changed, shown = np.ones(current.shape, bool), np.full(current.shape, TRANSPARENT, np.uint8)
            else:
                changed = current != previous
            # Only the pixels whose colour changed are looked at (a few thousand of 288,000), and
            # only those whose palette index changes are written: a slightly different shade often
            # maps to the index already shown (comparing indices, not colours: 6% smaller file).
            new = to_indices(current[changed])
            indices = np.full(current.shape, TRANSPARENT, np.uint8)
            indices[changed] = np.where(new == shown[changed], TRANSPARENT, new)
            shown[changed] = new  # the index each pixel shows so far
            previous = current
            yield Image.fromarray(indices)  # mode "L": Pillow's GIF writer applies palette= below

    frames = frames()
    # Pillow (checked in 12.3) crops each frame to the box where it differs from the one before,
    # and drops a frame identical to the one before (adding its duration to that one). palette=
    # makes it write our palette once, globally (without it: greyscale for "L" frames, or a
    # 768-byte local copy in each "P" frame, +27%); it costs ~3 ms a frame of Pillow's own
    # palette matching, the price of one plain save(). optimize=False: our palette is final, and
    # Pillow's own transparency pass is slow (a Python list of every pixel per frame).
    next(frames).save(path, format="GIF", save_all=True, append_images=frames, duration=durations_ms, loop=0,
                      disposal=1, transparency=TRANSPARENT, palette=palette_bytes, optimize=False)
