"""The animations' names as animate.py imports them today; each lives in the module of its job:
FitAnimation and SeedsAnimation in fit_frames.py, CompareAnimation in compare_frames.py,
shared_scales in comparison.py (what they share: animation.py, fit_panel.py). New code imports
from those."""

from drawing.compare_frames import CompareAnimation
from drawing.comparison import shared_scales
from drawing.fit_frames import FitAnimation, SeedsAnimation

__all__ = ["CompareAnimation", "FitAnimation", "SeedsAnimation", "shared_scales"]
