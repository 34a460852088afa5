"""The building blocks of an experiment's schema (a strict model, a whole number) and its sections
that are not training settings: render (how its pictures are drawn), record (what it records beyond
its errors and predictions), and early_stopping. config_schema.py re-exports them.

Everything here runs without TensorFlow.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator


def _whole_number(value: Any) -> Any:
    # YAML reads 2e4 as a float; for a key that counts something, a whole number is what was meant.
    # 2.5 stays a float, and is refused as a count.
    if type(value) is float and value.is_integer():
        return int(value)
    return value


# An integer key also takes a whole number written as a float: epochs: 2e4 is 20000.
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]

class StrictModel(BaseModel):
    # strict: a value must already have the right type (no "60" for 60); extra keys are
    # errors (a typo must not silently fall back to a default); NaN and infinity are refused.
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


# The videos render.video may ask for (drawing/video.py writes them).
VIDEO_FORMATS = ("mp4", "webm")


class RenderConfig(StrictModel):
    """How a run's pictures are drawn, and which videos are written beside its GIFs."""

    # 20 frames a second plays ~200 frames in 10 s: long enough to follow, short enough to
    # rewatch. Browsers clamp frame delays of 10 ms or less to 100 ms, hence the upper limit.
    fps: float = Field(20.0, ge=0.1, le=50)
    # Hold the final fit on screen so the eye can take it in before the loop restarts.
    last_frame_seconds: float = Field(2.5, ge=0, le=60)
    # 800x360 pixels keeps the 200-frame GIF well under 3 MB with readable text. Below 480x270
    # the two panels, their tick labels and the header's lines no longer fit side by side.
    width_pixels: WholeNumber = Field(800, ge=480, le=2000)
    height_pixels: WholeNumber = Field(360, ge=270, le=1200)
    # Which pictures a run gets: "all" (its GIFs, PNGs and page) or "page" (report.html alone, which
    # the run's arrays make in a fifth of a second, against seconds for the GIFs). Unset: all for a
    # run of train.py, page for a study's or sweep's cells (pictures_drawn); animate.py draws all.
    pictures: Literal["all", "page"] | None = None
    # Each animation also as a video, for slides and posts (fit.mp4 beside fit.gif, ...): "mp4"
    # (H.264) and "webm" (VP9). None by default: writing them needs the optional video extra.
    video: list[str] = Field(default_factory=list)
    # A run of two inputs: its held-out points too on the maps, as hollow markers beside the
    # training points. Off by default: Playground hides them too, and 500 points crowd a small map.
    show_held_out: bool = False

    @field_validator("video", mode="plain")
    @classmethod
    def _known_video_formats(cls, given: Any) -> list[str]:
        names = [given] if isinstance(given, str) else given
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise ValueError("must be a list of video formats, such as [mp4] or [mp4, webm]")
        return list(dict.fromkeys(_known_name(name, VIDEO_FORMATS, "video format") for name in names))


class RecordConfig(StrictModel):
    """What a run records beyond its errors and predictions: nothing here changes its numbers."""

    # Whose curvature (the Hessian's eigenvalues at every frame) and landscape curvature.py works
    # out after training, from the weights recorded at every frame: "net0", "all" (which also
    # records every net's weights, not net 0's alone) or "none". Unset: net0 for a run of train.py,
    # none for a study's or sweep's cells and for nets of more than 1,000 weights and biases
    # (curvature_recorded), whose spectra take long.
    curvature: Literal["none", "net0", "all"] | None = None


class EarlyStopping(StrictModel):
    """Stop a net's training when its held-out error stops improving, as Keras's EarlyStopping
    does with monitor='val_loss' (the only error it watches here: the training error would
    reward fitting the noise)."""

    # Epochs without an improvement of more than min_delta before the net stops; 0 stops at the
    # first epoch that does not improve, as Keras's default does.
    patience: WholeNumber = Field(0, ge=0)
    min_delta: float = Field(0.0, ge=0)
    # Keras 3 restores the best epoch's weights at the end even when the net never stopped.
    restore_best_weights: bool = False

    @model_validator(mode="before")
    @classmethod
    def _no_monitor(cls, given: Any) -> Any:
        if isinstance(given, dict) and "monitor" in given:
            raise ValueError("early stopping always monitors the held-out error (val_loss); remove monitor")
        return given


def _known_name(name: str, valid: tuple[str, ...], what: str) -> str:
    if name.lower() in valid:
        return name.lower()
    raise ValueError(f"unknown {what} {name!r}; choose one of: {', '.join(valid)}")
