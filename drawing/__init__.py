"""The pictures of runs, drawn with matplotlib (never TensorFlow).

- style.py: colours, fonts, number formats, the few layout helpers and words every picture shares;
- curves.py: what the pictures plot from a run (error curves at the epochs of the weights they
  describe, ranges, what to say about it);
- figures.py: the static PNGs: loss.png, seeds.png, compare.png and a study's final_error.png;
- animation.py: what every animation shares: its canvas, the header and its stamped numbers,
  blitting the frames of one run (RunAnimation);
- fit_panel.py: the fit panel of every animation: data, true curve, limits, predictions pinned
  inside them and the notes along its edges;
- fit_frames.py: the frames of fit.gif and seeds.gif;
- plane_maps.py: what the maps of a run of two inputs show (a net's output over the plane, many
  nets' mean, disagreement, median and spread) and their colours; plane_frames.py: the frames of
  fit.gif and seeds.gif of such a run, its maps beside the error curves and the accuracy;
- comparison.py: what a comparison of runs shares: its epochs, its grid of panels and their scales,
  titles, notes and header;
- compare_frames.py: the frames of compare.gif;
- plane_compare_frames.py: the frames of compare.gif of runs of two inputs (a map per run beside
  every run's curves); plane_compare.py: their compare.png; plane_compare_inside.py: their units.gif
  and residuals.png (each run's own, one under another); plane_compare_page.py: their report.html,
  for now a page of the pictures and the final figures;
- unit_curves.py: a net's units as a fit panel draws them (contributions, colours, range);
- diagnostics.py: what training did inside a net over the epochs (gradient norm, distinct units,
  saturation, and where the run changes them the learning rate and the kernels' norm), as loss.png,
  units.gif and the page show it;
- knob_curves.py: what a run's knobs add beside its training error (the penalty, a minibatch run's
  batch mean); the learning rate and the kernels' norm are diagnostics, in small panels;
- diagnostic_panels.py: the small panels that draw those diagnostics, the frame's epoch marked;
- units_frames.py: the frames of units.gif and of a comparison's units.gif;
- unit_maps.py: a net of two inputs' units as small maps over the plane (worked out from net 0's
  weights when drawn), their colours and layout; plane_units.py: the frames of its units.gif;
- residual_analysis.py: what is left to learn (the residuals over x and their spectrum), and
  its colour scales; residuals.py: residuals.png, over x, frequency and epoch; plane_residuals.py:
  residuals.png of a net of two inputs, over the plane at the end and at a few epochs;
- curvature_figures.py: curvature.png (the Hessian's eigenvalues over the epochs, against the
  optimizer's stability threshold) and the comparison of several runs' curvature and landscapes;
- landscape_frames.py: the frames of landscape.gif (the objective over the plane of net 0's path,
  and along the straight line from its initial to its final weights);
- phase.py: a grid study's phase.png, and where each cell lies in it;
- page_data.py: what report.html's script draws, encoded; page_curvature.py: what it draws of a
  run's curvature and landscape; page.py (with page.js): report.html, the page of a run, a
  comparison or a study; page_grid.py (with study_grid.js): a grid study's page, its cells to
  browse by setting;
- gif.py: writing frames as a GIF; video.py: the same frames as MP4 or WebM (render.video); both
  know nothing about runs.
"""
