"""The units animations' names as animate.py imports them today: UnitsAnimation and
CompareUnitsAnimation live in units_frames.py (what they draw: unit_curves.py, diagnostics.py,
diagnostic_panels.py). New code imports from those."""

from drawing.units_frames import CompareUnitsAnimation, UnitsAnimation

__all__ = ["CompareUnitsAnimation", "UnitsAnimation"]
