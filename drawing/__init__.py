"""The pictures of runs, drawn with matplotlib (never TensorFlow).

- style.py: colours, fonts, number formats, the few layout helpers every picture shares;
- curves.py: what the pictures plot from a run (error curves, ranges, what to say about it);
- figures.py: the static PNGs: loss.png, seeds.png, compare.png and a study's final_error.png;
- frames.py: the frames of fit.gif, seeds.gif and compare.gif, drawn by blitting;
- units.py: the frames of units.gif, a net's units and its diagnostics (and of a comparison's);
- residuals.py: residuals.png, what is left to learn over x, frequency and epoch;
- gif.py: writing frames as a GIF; it knows nothing about runs.
"""
