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
# Without it the 200-frame fit.gif is 3.1 MB instead of ~0.57 MB.
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
    return np.stack([keys & 255, (keys >> 8) & 255, keys >> 16], axis=-1).astype(np.float32)


def _nearest(keys: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Colours (24-bit keys) as indices of their nearest palette colour: a palette colour maps to
    itself, a rare anti-aliasing shade to the closest one. Worked out once per distinct colour.

    Pillow's quantize(palette=..., dither=NONE) cannot do this: its colour cache is coarse
    and maps pure white to (252, 252, 252).
    """
    colors, inverse = np.unique(keys, return_inverse=True)
    # argmin |c - p|^2 = argmin |p|^2 - 2 c.p: one small matrix product. All whole numbers
    # below 2^24, so float32 is exact and a palette colour's own entry always wins.
    distances = (palette**2).sum(axis=1) - 2 * _rgb(colors) @ palette.T
    return distances.argmin(axis=1).astype(np.uint8)[inverse.reshape(-1)]


def write_gif(path: str | Path, draw_frame: Callable[[int], np.ndarray], frame_count: int,
              durations_ms: list[int]) -> None:
    """Draw frames 0..frame_count-1 with draw_frame (it may reuse its buffer) and write them to
    path as a looping GIF."""
    # The palette: the 255 most frequent colours of the first, middle and last frames, exactly
    # as drawn. One palette for all frames: no flicker, and Pillow writes it once.
    samples = np.concatenate([_keys(draw_frame(i)).ravel() for i in sorted({0, frame_count // 2, frame_count - 1})])
    colors, counts = np.unique(samples, return_counts=True)
    chosen = colors[np.argsort(counts, kind="stable")[::-1][:TRANSPARENT]]
    # Entries left over (and the transparent one) get colours of their own: Pillow matches
    # palette entries by colour, and would shuffle duplicates.
    spare = np.setdiff1d(np.arange(257, dtype=chosen.dtype), chosen)[: 256 - len(chosen)]
    palette_bytes = _rgb(np.concatenate([chosen, spare])).astype(np.uint8).tobytes()
    palette = _rgb(chosen)

    def frames():
        previous = None  # the last frame's colours
        shown = None  # the palette index each pixel shows so far
        for index in range(frame_count):
            current = _keys(draw_frame(index))
            if previous is None:
                changed, shown = np.ones(current.shape, bool), np.full(current.shape, TRANSPARENT, np.uint8)
            else:
                changed = current != previous
            # Only changed pixels are mapped (a few thousand of 288,000), and only those whose
            # index differs from the one shown are written: it is the index that is compared,
            # since a slightly different shade often maps to the same index (6% smaller file).
            new = _nearest(current[changed], palette)
            indices = np.full(current.shape, TRANSPARENT, np.uint8)
            indices[changed] = np.where(new == shown[changed], TRANSPARENT, new)
            shown[changed] = new
            previous = current
            yield Image.fromarray(indices)  # mode "L": Pillow's GIF writer gives it the palette= below

    frames = frames()
    # Pillow (checked in 12.3) crops each frame to the box where it differs from the one before,
    # and drops a frame identical to the one before (adding its duration to that one). Given
    # palette=, it writes our palette once, globally; without it each frame would carry a
    # 768-byte copy. optimize=False: our palette is final, and Pillow's own transparency pass is
    # slow (a Python list of every pixel per frame).
    next(frames).save(path, format="GIF", save_all=True, append_images=frames, duration=durations_ms, loop=0,
                      disposal=1, transparency=TRANSPARENT, palette=palette_bytes, optimize=False)
