// The page of a run, a comparison or a study (drawing/page.py writes it, with this script and the
// data inside): one epoch slider drives every panel; play, pause, speed; arrow keys step a frame;
// the URL's fragment (#frame=K) keeps the frame. Everything is drawn on canvases; no request
// leaves the page.
"use strict";

const DATA = JSON.parse(document.getElementById("run-data").textContent);
const COLORS = DATA.colors;
// The page's frames: a run's own, or for several runs every epoch any of them has a frame at.
const frameEpochs = DATA.frame_epochs;
const frameCount = frameEpochs.length;
const PICKED_COLOR = "#e377c2";  // a net picked out: not the marker's red, nor a colour of the net's own
const ERROR_NAME = DATA.error_name || "MSE";  // what the runs' losses are: "cross-entropy" for a classifier's
const checked = (id) => { const box = document.getElementById(id); return box !== null && box.checked; };

// --- the numbers, decoded and formatted as the run's pictures state them ------------------------

function decode(encoded) {
  // {dtype, shape, base64}: the run's own arrays, bit for bit (float32 and float64 are exact).
  if (encoded === null) return null;
  const bytes = Uint8Array.from(atob(encoded.base64), (c) => c.charCodeAt(0));
  const Type = { float32: Float32Array, float64: Float64Array, uint16: Uint16Array, int32: Int32Array,
                 uint8: Uint8Array }[encoded.dtype];
  const values = new Type(bytes.buffer);
  if (encoded.dtype === "uint16") {  // stored at display precision between low and high
    const [low, high] = encoded.range;
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      out[i] = values[i] === 65535 ? NaN : low + (high - low) * values[i] / 65534;
    }
    return out;
  }
  return encoded.at ? keptAt(encoded, values) : values;
}

function keptAt(encoded, values) {
  // Values kept at some indices only (a grid study's cell keeps its errors at its frames' and its
  // curve's epochs): NaN at the others, the indices kept in .kept.
  const dense = new Float64Array(encoded.length).fill(NaN);
  encoded.at.forEach((index, k) => { dense[index] = values[k]; });
  dense.kept = encoded.at;
  return dense;
}

function formatLoss(value) {
  // As rundir.py's format_loss: four decimals, three significant digits (Python's
  // "{:.3g}") when huge or under 0.001, "not finite" for NaN or infinity.
  if (value === null || !Number.isFinite(value)) return "not finite";
  const size = Math.abs(value);
  if (value === 0 || (size >= 0.001 && size < 1000)) return value.toFixed(4);
  const [mantissa, exponentText] = value.toExponential(2).split("e");
  const exponent = parseInt(exponentText, 10);
  const strip = (text) => (text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text);
  if (exponent >= -4 && exponent < 3) return strip(value.toFixed(2 - exponent));
  return `${strip(mantissa)}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

function formatEpoch(epoch) {
  return epoch.toLocaleString("en-US");
}

// --- drawing on a canvas -------------------------------------------------------------------------

function prepare(canvas) {
  // A canvas sharp on any screen: its backing store in device pixels, drawn in CSS pixels.
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  return { context, width, height };
}

const MARGIN = { left: 58, right: 12, top: 10, bottom: 40 };
const BAND_TITLE = 24;  // pixels above a small plot for its title (12 px text) and the tick marks (4 px) above it

function linearTicks(low, high, count) {
  const step0 = (high - low) / Math.max(count, 1);
  const power = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= step0) || step0;
  const ticks = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step) ticks.push(tick);
  return ticks;
}

function logTicks(low, high) {
  // Powers of ten; on a range of less than two decades, 2 and 5 times them too.
  const multiples = Math.log10(high / low) < 2 ? [1, 2, 5] : [1];
  const ticks = [];
  for (let power = Math.floor(Math.log10(low)); power <= Math.ceil(Math.log10(high)); power++) {
    for (const multiple of multiples) {
      const tick = multiple * Math.pow(10, power);
      if (tick >= low * 0.999 && tick <= high * 1.001) ticks.push(tick);
    }
  }
  return ticks;
}

function tickText(value, logScale) {
  if (logScale && (value >= 1e6 || value < 1e-4)) {  // a blow-up's 1e30
    const power = Math.floor(Math.log10(value) + 1e-9);
    return `${Math.round(value / Math.pow(10, power))}e${power}`;
  }
  if (logScale) return value >= 1 ? formatEpoch(value) : String(Number(value.toPrecision(1)));
  return String(Number(value.toPrecision(6)));
}

class Axes {
  // A plot area with its scales: x and y each linear or logarithmic; `band` ([top, bottom] as
  // shares of the canvas's height) puts several small plots in one canvas.
  constructor(canvas, xRange, yRange, xLog, yLog, xLabel, yLabel, band = null) {
    Object.assign(this, { canvas, xRange, yRange, xLog, yLog, xLabel, yLabel, band });
  }

  begin(clear = true) {
    const { context, width, height } = clear ? prepare(this.canvas)
      : { context: this.canvas.getContext("2d"), width: this.canvas.clientWidth, height: this.canvas.clientHeight };
    this.context = context;
    this.box = { left: MARGIN.left, top: MARGIN.top, right: width - MARGIN.right, bottom: height - MARGIN.bottom };
    if (this.band) {  // each small plot under its title, clear of the tick marks of the one above
      const [top, bottom] = this.band;
      this.box.top = BAND_TITLE + top * (height - 40);
      this.box.bottom = bottom * (height - 40);
    }
    return context;
  }

  scale(value, [low, high], log, from, to) {
    // log: true for a log scale; {linear, ticks} for a symmetric log scale (curvature.png's smallest
    // eigenvalue), linear within ±linear of 0 and logarithmic beyond.
    if (typeof log === "object" && log !== null) {
      const symlog = (v) => Math.sign(v) * Math.log10(1 + Math.abs(v) / log.linear);
      return from + (symlog(value) - symlog(low)) / (symlog(high) - symlog(low)) * (to - from);
    }
    const position = log ? (Math.log10(value) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))
                         : (value - low) / (high - low);
    return from + position * (to - from);
  }

  px(x) { return this.scale(x, this.xRange, this.xLog, this.box.left, this.box.right); }
  py(y) { return this.scale(y, this.yRange, this.yLog, this.box.bottom, this.box.top); }

  xOf(pixel) {  // the x value at a horizontal pixel
    const position = (pixel - this.box.left) / (this.box.right - this.box.left);
    const [low, high] = this.xRange;
    return this.xLog ? Math.pow(10, Math.log10(low) + position * (Math.log10(high) - Math.log10(low)))
                     : low + position * (high - low);
  }

  frame() {
    const c = this.context, box = this.box;
    c.strokeStyle = "#333"; c.lineWidth = 1;
    c.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
    c.fillStyle = "#222"; c.font = "11px sans-serif";
    // No x ticks where the x axis is categories (a study's experiments, labelled by the caller).
    const xTicks = this.xLabel === null ? [] : this.xLog ? logTicks(...this.xRange) : linearTicks(...this.xRange, 6);
    const symmetric = typeof this.yLog === "object" && this.yLog !== null;
    let yTicks = symmetric ? this.yLog.ticks : this.yLog ? logTicks(...this.yRange)
      : linearTicks(...this.yRange, this.band ? 2 : 5);
    const room = Math.max(1, Math.floor((box.bottom - box.top) / 14));  // a tick label every 14 pixels at most
    if (yTicks.length > room) yTicks = yTicks.filter((_, i) => i % Math.ceil(yTicks.length / room) === 0);
    const labelled = !this.band || this.band[1] === 1;  // stacked small plots: epochs under the last only
    c.textAlign = "center"; c.textBaseline = "top";
    for (const tick of xTicks) {
      const x = this.px(tick);
      c.fillRect(x, box.bottom, 1, 4);
      if (labelled) c.fillText(tickText(tick, this.xLog), x, box.bottom + 6);
    }
    c.textAlign = "right"; c.textBaseline = "middle";
    c.strokeStyle = "rgba(0,0,0,0.08)";
    for (const tick of yTicks) {
      const y = this.py(tick);
      c.fillRect(box.left - 4, y, 4, 1);
      c.fillText(tickText(tick, this.yLog === true), box.left - 6, y);
      c.beginPath(); c.moveTo(box.left, y); c.lineTo(box.right, y); c.stroke();
    }
    c.font = "12px sans-serif"; c.textAlign = "center"; c.textBaseline = "bottom";
    if (this.band) {  // a small plot: its title above it, the epoch axis's label only under the last
      c.textAlign = "left"; c.fillText(this.yLabel, box.left, box.top - 2);
      if (this.band[1] === 1) { c.textAlign = "center"; c.fillText(this.xLabel, (box.left + box.right) / 2, this.canvas.clientHeight - 4); }
      return;
    }
    if (this.xLabel !== null) c.fillText(this.xLabel, (box.left + box.right) / 2, this.canvas.clientHeight - 4);
    c.save(); c.translate(14, (box.top + box.bottom) / 2); c.rotate(-Math.PI / 2);
    c.textBaseline = "middle"; c.fillText(this.yLabel, 0, 0); c.restore();
  }

  clip() {
    const box = this.box;
    this.context.save();
    this.context.beginPath();
    this.context.rect(box.left, box.top, box.right - box.left, box.bottom - box.top);
    this.context.clip();
  }

  line(xs, ys, color, width, dash = []) {
    const c = this.context;
    c.strokeStyle = color; c.lineWidth = width; c.setLineDash(dash);
    c.lineJoin = "round";  // sharp joins turn a dense curve's sub-pixel zig-zags into spikes
    c.beginPath();
    let drawing = false, points = 0, last = null;
    for (let i = 0; i < xs.length; i++) {
      const ok = Number.isFinite(ys[i]) && (this.yLog !== true || ys[i] > 0) && (!this.xLog || xs[i] > 0);
      if (!ok) { drawing = false; continue; }
      const x = this.px(xs[i]), y = Math.max(-1e4, Math.min(1e4, this.py(ys[i])));
      if (drawing) c.lineTo(x, y); else c.moveTo(x, y);
      drawing = true; points++; last = [x, y];
    }
    c.stroke(); c.setLineDash([]);
    if (points === 1) {  // a curve of one point (a run of one epoch): a dot, not an invisible line
      c.fillStyle = color; c.beginPath(); c.arc(last[0], last[1], Math.max(2, width * 1.5), 0, 2 * Math.PI); c.fill();
    }
  }
}


// --- one run's fit panel -------------------------------------------------------------------------

class RunView {
  // A run's numbers, decoded, and its fit panel: data, true function, prediction at the frame; for
  // many seeds the median, the 10-90% band and every net, one of which a click picks out.
  constructor(run, index) {
    this.run = run;
    this.index = index;
    this.nets = run.nets;
    this.frameLoss = decode(run.frame_loss);  // (own frames,) the net's, or the median over nets
    this.trainAfter = decode(run.train_after);  // index e: the training error after e epochs
    this.heldOutAfter = decode(run.held_out_after);  // index e: the held-out error after e epochs (NaN at 0)
    if (this.nets > 1) {  // each net's curve at display precision, and its error at each frame
      this.netCurves = decode(run.net_curves);  // (nets * curve points), log10 of the error
      this.netFrameLoss = decode(run.net_frame_loss);  // (own frames * nets)
      this.netHeldOutCurves = run.net_held_out_curves ? decode(run.net_held_out_curves) : null;  // a plane's
    }
    this.picked = null;  // the net picked out, or null
    this.canvas = document.getElementById(`fit-canvas-${index}`);
    this.plane = null;  // a run of two inputs: its map, which plane_page.js draws (PlaneMap)
    if (run.plane) return;
    this.xTrain = decode(run.x_train); this.yTrain = decode(run.y_train);
    this.xGrid = decode(run.x_grid); this.yTruth = decode(run.y_grid_true);
    this.gridPoints = this.xGrid.length;
    this.predictions = decode(run.predictions);  // (own frames * grid)
    this.units = run.units ? decode(run.units) : null;  // (own frames * units * unit columns)
    if (this.nets > 1) {  // every net at display precision on a few grid columns, and the band
      this.netPredictions = decode(run.net_predictions);  // (own frames * nets * columns)
      this.netX = run.net_columns.map((i) => this.xGrid[i]);
      this.bandLow = decode(run.band_low); this.bandHigh = decode(run.band_high);
    }
    this.axes = new Axes(this.canvas, run.x_limits, run.y_limits, false, false, run.axis_names[0], run.axis_names[1]);
    if (this.netPredictions) this.canvas.addEventListener("click", (event) => this.pickNear(event));
  }

  snapshot(frame) { return this.run.frame_index[frame]; }  // the run's latest frame at or before the page's
  // The last frame of restored best weights (early stopping): one net's are of their own epoch,
  // and their held-out error is summary.json's (many nets': the median, at the frame's epoch).
  restoredShown(frame) {
    return this.run.restored !== null && this.snapshot(frame) === this.run.frame_epochs.length - 1;
  }
  epochShown(frame) {
    if (this.restoredShown(frame) && this.run.restored.epoch !== null) return this.run.restored.epoch;
    return this.run.frame_epochs[this.snapshot(frame)];
  }
  trainShown(frame) { return this.frameLoss[this.snapshot(frame)]; }
  heldOutShown(frame) {
    if (this.restoredShown(frame)) return this.run.restored.held_out;
    const epoch = this.epochShown(frame);
    return epoch >= 1 ? this.heldOutAfter[epoch] : NaN;
  }

  netCurve(frame, net) {  // net's prediction on the net columns at the page's frame
    const start = (this.snapshot(frame) * this.nets + net) * this.netX.length;
    return this.netPredictions.subarray(start, start + this.netX.length);
  }

  netErrorCurve(net, curves = this.netCurves) {  // net's training (or held-out) error on run.net_curve_epochs
    const points = this.run.net_curve_epochs.length;
    return Array.from(curves.subarray(net * points, (net + 1) * points), (v) => Math.pow(10, v));
  }

  pinned(values) {
    // A prediction far off the panel (a diverging net's) drawn along its edge, as the GIFs draw it.
    const [low, high] = this.run.y_limits, inside = (high - low) * 0.005;
    return Array.from(values, (v) => (Number.isFinite(v) ? Math.min(high - inside, Math.max(low + inside, v)) : v));
  }

  drawFit(frame) {
    if (this.run.plane) { if (this.plane) this.plane.draw(frame); return; }
    const axes = this.axes, c = axes.begin(), own = this.snapshot(frame), grid = this.gridPoints;
    axes.frame();
    axes.clip();
    if (this.units && checked("show-units")) {
      const columns = this.run.unit_columns, x = columns.map((i) => this.xGrid[i]), count = this.run.unit_count;
      for (let unit = 0; unit < count; unit++) {
        const start = (own * count + unit) * columns.length;
        const curve = Array.from(this.units.subarray(start, start + columns.length), (v) => v + this.run.units_baseline);
        axes.line(x, curve, this.run.unit_colors[unit], 1);
      }
    }
    if (this.nets > 1) this.drawNets(frame);
    if (!this.run.few_points) this.drawData();
    if (this.yTruth) axes.line(this.xGrid, this.yTruth, COLORS.truth, 1.5, [2, 3]);
    const prediction = this.pinned(this.predictions.subarray(own * grid, (own + 1) * grid));
    axes.line(this.xGrid, prediction, this.nets > 1 ? COLORS.median : COLORS.net, 2.5);
    if (this.nets > 1 && !prediction.some(Number.isFinite)) {  // no net alive here: say so, as seeds.gif's header does
      c.fillStyle = COLORS.marker; c.font = "bold 13px sans-serif"; c.textAlign = "center"; c.textBaseline = "top";
      c.fillText("every net has diverged by this epoch", (axes.box.left + axes.box.right) / 2, axes.box.top + 8);
    }
    if (this.picked !== null) axes.line(this.netX, this.netCurve(frame, this.picked), PICKED_COLOR, 2);
    c.restore();
    if (this.run.few_points) this.drawData();  // over the prediction, and whole on the panel's edge, as the GIFs
  }

  drawData() {
    // The training points; few of them larger and outlined (frames.FEW_POINTS).
    const axes = this.axes, c = axes.context, few = this.run.few_points;
    c.fillStyle = COLORS.data; c.strokeStyle = COLORS.truth; c.lineWidth = 0.8;
    for (let i = 0; i < this.xTrain.length; i++) {
      c.beginPath(); c.arc(axes.px(this.xTrain[i]), axes.py(this.yTrain[i]), few ? 4 : 2, 0, 2 * Math.PI); c.fill();
      if (few) c.stroke();
    }
  }

  drawNets(frame) {
    const axes = this.axes, c = axes.context, own = this.snapshot(frame), grid = this.gridPoints;
    if (checked("show-nets")) {
      c.globalAlpha = Math.max(0.05, Math.min(0.25, 5 / this.nets));
      for (let net = 0; net < this.nets; net++) axes.line(this.netX, this.netCurve(frame, net), COLORS.net, 0.8);
      c.globalAlpha = 1;
    }
    if (this.bandLow === null) return;  // a grid study's cell embedded without its band
    // The band between the 10th and 90th percentile of the nets, on the full grid.
    const low = this.bandLow.subarray(own * grid, (own + 1) * grid);
    const high = this.bandHigh.subarray(own * grid, (own + 1) * grid);
    c.fillStyle = COLORS.net; c.globalAlpha = 0.25; c.beginPath();
    let started = false;
    for (let i = 0; i < grid; i++) {
      if (!Number.isFinite(low[i])) continue;
      const px = axes.px(this.xGrid[i]), py = axes.py(high[i]);
      if (started) c.lineTo(px, py); else { c.moveTo(px, py); started = true; }
    }
    for (let i = grid - 1; i >= 0; i--) {
      if (Number.isFinite(low[i])) c.lineTo(axes.px(this.xGrid[i]), axes.py(low[i]));
    }
    c.fill(); c.globalAlpha = 1;
  }

  pickNear(event) {
    // A click on the fit picks out the net passing nearest the point clicked (again: no net).
    const rect = this.canvas.getBoundingClientRect();
    const clickX = event.clientX - rect.left, clickY = event.clientY - rect.top;
    let best = null, bestDistance = 12;  // pixels
    for (let net = 0; net < this.nets; net++) {
      const curve = this.netCurve(current, net);
      for (let k = 0; k < this.netX.length; k++) {
        if (!Number.isFinite(curve[k])) continue;
        const distance = Math.hypot(this.axes.px(this.netX[k]) - clickX, this.axes.py(curve[k]) - clickY);
        if (distance < bestDistance) { best = net; bestDistance = distance; }
      }
    }
    this.pick(best === this.picked ? null : best);
  }

  pick(net) {
    this.picked = net;
    show(current);
  }

  errorsShown(frame) {  // the training and held-out error as the page writes them at a frame
    const heldOut = this.epochShown(frame) >= 1 ? formatLoss(this.heldOutShown(frame)) : "–";
    return [formatLoss(this.trainShown(frame)), heldOut];
  }

  showNumbers(frame) {
    // One run: the numbers beside the slider; several: each under its panel, with the epoch of the
    // run's own frame when it has none at the page's epoch.
    const epoch = this.epochShown(frame);
    const [train, heldOut] = this.errorsShown(frame);
    const median = this.nets > 1 ? "median " : "";
    if (!several) {
      document.getElementById("train-loss").textContent = train;
      document.getElementById("held-out-loss").textContent = heldOut;
    } else {
      const run = this.run, last = run.frame_epochs[run.frame_epochs.length - 1];
      const older = frameEpochs[frame] > last ? ` (${run.past_end})`
        : epoch !== frameEpochs[frame] ? ` (its frame at epoch ${formatEpoch(epoch)})` : "";
      document.getElementById(`numbers-${this.index}`).textContent =
        `${median}training ${ERROR_NAME} ${train} · ${median}held-out ${ERROR_NAME} ${heldOut}${older}`;
    }
    const readout = document.getElementById(`net-readout-${this.index}`);
    readout.textContent = this.picked === null ? "" :
      `picked: net ${this.picked} (seed ${this.run.seeds[this.picked]}), training ${ERROR_NAME} ` +
      formatLoss(this.netFrameLoss[this.snapshot(frame) * this.nets + this.picked]) +
      (this.plane ? this.plane.pickedWords(frame) : "");
  }
}

const views = DATA.runs.map((run, index) => new RunView(run, index));
const several = DATA.several === true;  // a comparison's or a study's page (even of one run so far)

// --- the error curves, shared by every run on the page -----------------------------------------

// A run whose learning rate changes (a schedule) has it in a small plot under its error curves, as
// loss.png and units.gif have; the error curves then take the top of the canvas, titled.
const rate = DATA.learning_rate || null;
const errorAxes = new Axes(document.getElementById("error-canvas"), DATA.epoch_limits, DATA.error_limits, true, true,
                           "epoch (log scale)", `training ${ERROR_NAME} (log scale)`, rate ? [0, 0.74] : null);
const rateAxes = rate ? new Axes(errorAxes.canvas, DATA.epoch_limits, rate.limits, true, true, "epoch (log scale)",
                                 rate.title, [0.8, 1]) : null;
const rateAfter = rate ? decode(rate.after) : null;  // index e: the rate of epoch e's last step
// The curves a run's knobs add beside its training error (its penalty, its batch mean), read on hover.
const knobCurves = (DATA.knob_curves || []).map((curve) => Object.assign({ byEpoch: decode(curve.after) }, curve));

function drawRate(frame) {
  // The learning rate under the error curves, the frame's epoch marked (a rate of 0 is drawn at the
  // smallest above it, as the title says).
  const c = rateAxes.begin(false);
  rateAxes.frame();
  rateAxes.clip();
  rateAxes.line(rate.epochs, rate.values, rate.color, 1.2);
  const epoch = views[0].epochShown(frame);
  if (epoch >= 1) {
    const x = rateAxes.px(epoch);
    c.strokeStyle = COLORS.marker; c.lineWidth = 1;
    c.beginPath(); c.moveTo(x, rateAxes.box.top); c.lineTo(x, rateAxes.box.bottom); c.stroke();
  }
  c.restore();
}

function drawErrors(frame) {
  const c = errorAxes.begin(), box = errorAxes.box;
  errorAxes.frame();
  errorAxes.clip();
  const floors = new Set(views.map((view) => view.run.noise_floor));
  for (const view of views) {  // one floor grey; different data's floors each in its run's colour
    const floor = view.run.noise_floor;
    if (floor) errorAxes.line(DATA.epoch_limits, [floor, floor], floors.size > 1 ? view.run.color : COLORS.floor, 1.2, [5, 4]);
  }
  for (const view of views) {
    const run = view.run, color = several ? run.color : view.nets > 1 ? COLORS.median : COLORS.net;
    if (view.nets > 1 && !several && checked("show-nets")) {
      c.globalAlpha = Math.max(0.05, Math.min(0.3, 5 / view.nets));
      for (let net = 0; net < view.nets; net++) errorAxes.line(run.net_curve_epochs, view.netErrorCurve(net), COLORS.net, 0.8);
      c.globalAlpha = 1;
    }
    if (view.picked !== null) errorAxes.line(run.net_curve_epochs, view.netErrorCurve(view.picked), PICKED_COLOR, 1.5);
    if (view.picked !== null && view.netHeldOutCurves) {
      errorAxes.line(run.net_curve_epochs, view.netErrorCurve(view.picked, view.netHeldOutCurves), PICKED_COLOR, 1.2, [5, 3]);
    }
    if (!several) {
      for (const curve of knobCurves) {  // beside the training error, behind it
        c.globalAlpha = curve.alpha;
        errorAxes.line(curve.epochs, curve.values, curve.color, curve.width, curve.dash);
        c.globalAlpha = 1;
      }
      errorAxes.line(run.curve_epochs, run.curve_held_out, COLORS.validation, 1);
    }
    if (DATA.error_bands && DATA.error_bands[view.index]) drawErrorBand(run, DATA.error_bands[view.index]);
    errorAxes.line(run.curve_epochs, run.curve_train, color, 1.5);
    if (run.divergence_epoch >= 1) {  // where the error stopped being finite, as loss.png marks it
      const x = errorAxes.px(run.divergence_epoch);
      c.strokeStyle = several ? color : COLORS.marker; c.lineWidth = 1.2; c.setLineDash([5, 4]);
      c.beginPath(); c.moveTo(x, box.top); c.lineTo(x, box.bottom); c.stroke(); c.setLineDash([]);
      c.fillStyle = c.strokeStyle; c.font = "11px sans-serif"; c.textBaseline = "top";
      const text = `${several ? "✕ " : ""}${run.ended}`;
      const right = x + 4 + c.measureText(text).width > box.right;
      c.textAlign = right ? "right" : "left";
      c.fillText(text, right ? x - 4 : x + 4, box.top + 4 + 14 * (several ? view.index : 0));
    }
  }
  // One run's restored best weights are marked at their own epoch.
  const epoch = several ? frameEpochs[frame] : views[0].epochShown(frame);
  if (epoch >= 1) {
    const x = errorAxes.px(epoch);
    c.strokeStyle = COLORS.marker; c.lineWidth = 1;
    c.beginPath(); c.moveTo(x, box.top); c.lineTo(x, box.bottom); c.stroke();
    for (const view of views) {
      const loss = view.trainShown(frame), shownEpoch = view.epochShown(frame);
      if (!Number.isFinite(loss) || loss <= 0 || shownEpoch < 1) continue;
      c.fillStyle = several ? view.run.color : COLORS.marker;
      c.beginPath(); c.arc(errorAxes.px(shownEpoch), errorAxes.py(loss), 4, 0, 2 * Math.PI); c.fill();
    }
  }
  c.restore();
}

function drawErrorBand(run, band) {
  // A comparison's seeded run: its nets' training error between their 10th and 90th percentile,
  // shaded in its colour behind its median, as compare.png shades it.
  const c = errorAxes.context, points = [];
  run.curve_epochs.forEach((epoch, i) => {
    if (band.low[i] > 0 && band.high[i] > 0) points.push([errorAxes.px(epoch), errorAxes.py(band.low[i]), errorAxes.py(band.high[i])]);
  });
  if (!points.length) return;
  c.fillStyle = run.color; c.globalAlpha = 0.2; c.beginPath();
  points.forEach(([x, , high], i) => (i ? c.lineTo(x, high) : c.moveTo(x, high)));
  for (let i = points.length - 1; i >= 0; i--) c.lineTo(points[i][0], points[i][1]);
  c.fill(); c.globalAlpha = 1;
}

// Hover on the error curves: the epoch under the pointer and the errors there, exactly as recorded.
const errorCanvas = document.getElementById("error-canvas");
const errorReadout = document.getElementById("error-readout");
const lastEpoch = () => Math.max(...views.map((view) => view.trainAfter.length - 1));  // (a grid's page changes views)

function epochAt(event) {
  const rect = errorCanvas.getBoundingClientRect();
  const epoch = Math.round(errorAxes.xOf(event.clientX - rect.left));
  const within = Math.max(1, Math.min(lastEpoch(), epoch));
  // Errors kept at some epochs only (a grid study's cell) are read at the nearest of them.
  const kept = views[0].trainAfter.kept ? views[0].trainAfter.kept.filter((e) => e >= 1) : [];
  if (!kept.length) return within;
  return kept.reduce((best, e) => (Math.abs(e - within) < Math.abs(best - within) ? e : best));
}

function errorsAt(view, epoch) {
  const median = view.nets > 1 ? "median " : "";
  if (epoch >= view.trainAfter.length) return "not trained that long";
  const knobs = several ? [] : knobCurves.filter((curve) => epoch < curve.byEpoch.length)
    .map((curve) => ` · ${median}${curve.label} ${formatLoss(curve.byEpoch[epoch])}`);
  const rateWords = rate && !several && epoch < rateAfter.length && Number.isFinite(rateAfter[epoch])
    ? ` · learning rate ${Number(rateAfter[epoch].toPrecision(4))}` : "";
  return `${median}training ${formatLoss(view.trainAfter[epoch])} · ${median}held-out ` +
    `${formatLoss(view.heldOutAfter[epoch])}${knobs.join("")}${rateWords}`;
}

errorCanvas.addEventListener("mousemove", (event) => {
  const epoch = epochAt(event);
  errorReadout.textContent = several
    ? [`epoch ${formatEpoch(epoch)}`, ...views.map((view) => `${view.run.label}: ${errorsAt(view, epoch)}`)].join("\n")
    : `epoch ${formatEpoch(epoch)} · ${errorsAt(views[0], epoch)}`;
});
errorCanvas.addEventListener("mouseleave", () => { errorReadout.textContent = ""; });
errorCanvas.addEventListener("click", (event) => {
  // Jump to the frame nearest the epoch clicked (on the log scale the axis uses).
  const epoch = epochAt(event);
  const distance = (frame) => Math.abs(Math.log(Math.max(frameEpochs[frame], 0.5)) - Math.log(epoch));
  let best = 0;
  for (let frame = 0; frame < frameCount; frame++) if (distance(frame) < distance(best)) best = frame;
  stop(); show(best);
});

// --- inside one net: its diagnostics and its residuals (a run's page) ------------------------------

const insidePanels = (DATA.diagnostics || []).map((panel, index, all) => new Axes(
  document.getElementById("inside-canvas"), DATA.epoch_limits, panel.limits, true, panel.log, "epoch (log scale)",
  panel.title, [index / all.length, (index + 1) / all.length]));

function drawInside(frame) {
  const epoch = frameEpochs[frame];
  insidePanels.forEach((axes, index) => {
    const panel = DATA.diagnostics[index];
    const c = axes.begin(index === 0);
    axes.frame();
    // Which line is which (a hidden layer each), at the right of the title, as units.gif has it.
    c.font = "11px sans-serif"; c.textAlign = "right"; c.textBaseline = "bottom";
    let right = axes.box.right;
    for (const [word, color] of [...panel.legend].reverse()) {
      c.fillStyle = color; c.fillText(word, right, axes.box.top - 2);
      right -= c.measureText(word).width + 8;
    }
    axes.clip();
    panel.lines.forEach((line) => axes.line(line.epochs, line.values, line.color, 1.2));
    if (epoch >= 1) {
      const x = axes.px(Math.min(epoch, panel.mark_epochs[frame] || epoch));
      c.strokeStyle = COLORS.marker; c.lineWidth = 1;
      c.beginPath(); c.moveTo(x, axes.box.top); c.lineTo(x, axes.box.bottom); c.stroke();
      panel.mark_values.forEach((values) => {
        const value = values[frame];
        if (value === null || (panel.log && value <= 0)) return;
        c.fillStyle = COLORS.marker;
        c.beginPath(); c.arc(axes.px(panel.mark_epochs[frame]), axes.py(value), 3.5, 0, 2 * Math.PI); c.fill();
      });
    }
    c.restore();
  });
}

// The residual heat map: a row per frame, the untrained net at the bottom, in residuals.png's
// colours; the frame shown is marked.
const residualAxes = DATA.residuals ? new Axes(document.getElementById("residual-canvas"), DATA.residuals.x_range,
                                               [-0.5, frameCount - 0.5], false, false, "", "") : null;
// (epoch upwards: frame 0 at the bottom)
const residualImage = DATA.residuals ? upwardImage(decode(DATA.residuals.rgba), DATA.residuals.columns, frameCount) : null;

function upwardImage(pixels, columns, rows) {
  // RGBA bytes, a row after another, as an image of a pixel each with the first row at the bottom.
  const flipped = new Uint8ClampedArray(pixels.length), rowBytes = columns * 4;
  for (let row = 0; row < rows; row++) {
    flipped.set(pixels.subarray(row * rowBytes, (row + 1) * rowBytes), (rows - 1 - row) * rowBytes);
  }
  const image = document.createElement("canvas");
  image.width = columns; image.height = rows;
  image.getContext("2d").putImageData(new ImageData(flipped, columns, rows), 0, 0);
  return image;
}

function drawResiduals(frame) {
  const c = residualAxes.begin(), box = residualAxes.box;
  c.imageSmoothingEnabled = false;
  c.drawImage(residualImage, box.left, box.top, box.right - box.left, box.bottom - box.top);
  c.strokeStyle = "#333"; c.lineWidth = 1; c.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
  c.fillStyle = "#222"; c.font = "11px sans-serif"; c.textAlign = "center"; c.textBaseline = "top";
  for (const tick of linearTicks(...DATA.residuals.x_range, 6)) {
    c.fillText(tickText(tick, false), residualAxes.px(tick), box.bottom + 6);
  }
  c.textAlign = "right"; c.textBaseline = "middle";
  const y = residualAxes.py(frame);
  const marks = [0, Math.round((frameCount - 1) / 2), frameCount - 1];
  for (const mark of marks) {  // the frame's own label (bold, below) wins where they would overlap
    if (Math.abs(residualAxes.py(mark) - y) >= 12) c.fillText(formatEpoch(frameEpochs[mark]), box.left - 6, residualAxes.py(mark));
  }
  c.strokeStyle = "#000"; c.lineWidth = 2;
  c.beginPath(); c.moveTo(box.left - 4, y); c.lineTo(box.right + 4, y); c.stroke();
  c.font = "bold 11px sans-serif";
  c.fillText(formatEpoch(frameEpochs[frame]), box.left - 6, y);
  c.font = "12px sans-serif"; c.textAlign = "center"; c.textBaseline = "bottom";
  c.fillText(views[0].run.axis_names[0], (box.left + box.right) / 2, residualAxes.canvas.clientHeight - 4);
  c.save(); c.translate(14, (box.top + box.bottom) / 2); c.rotate(-Math.PI / 2);
  c.textBaseline = "middle"; c.fillText("epoch of the frame", 0, 0); c.restore();
}

// --- a study's final errors: a dot per seed and experiment, as final_error.png draws them --------

const finalErrors = DATA.final_errors ? DATA.final_errors.map(decode) : null;
const finalAxes = finalErrors ? new Axes(document.getElementById("final-canvas"), [-0.5, views.length - 0.5],
                                         DATA.final_limits, false, true, null, "final held-out MSE (log scale)") : null;
// Each dot's place across its column: spread evenly and the same on every drawing.
const jitter = (net) => ((net * 0.6180339887) % 1 - 0.5) * 0.3 - 0.08;

function drawFinalErrors() {
  const c = finalAxes.begin(), box = finalAxes.box;
  finalAxes.frame();
  finalAxes.clip();
  const floors = new Set(views.map((view) => view.run.noise_floor));
  views.forEach((view, position) => {
    const floor = view.run.noise_floor;
    if (!floor) return;
    const from = floors.size === 1 ? -0.5 : position - 0.4, to = floors.size === 1 ? views.length - 0.5 : position + 0.4;
    finalAxes.line([from, to], [floor, floor], COLORS.floor, 1.2, [5, 4]);
  });
  finalErrors.forEach((errors, position) => {
    const finite = Array.from(errors).filter(Number.isFinite).sort((a, b) => a - b);
    errors.forEach((value, net) => {
      if (!Number.isFinite(value)) return;
      const isPicked = views[position].picked === net;
      c.fillStyle = isPicked ? PICKED_COLOR : views[position].run.color; c.globalAlpha = isPicked ? 1 : 0.55;
      c.beginPath(); c.arc(finalAxes.px(position + jitter(net)), finalAxes.py(value), isPicked ? 5 : 3, 0, 2 * Math.PI); c.fill();
    });
    c.globalAlpha = 1;
    if (finite.length) {
      const [low, median, high] = DATA.final_percentiles[position];
      finalAxes.line([position + 0.2, position + 0.2], [low, high], COLORS.truth, 2);
      finalAxes.line([position + 0.12, position + 0.28], [median, median], COLORS.truth, 3);
    }
  });
  c.restore();
  c.fillStyle = "#222"; c.font = "11px sans-serif"; c.textAlign = "center"; c.textBaseline = "top";
  const labels = columnLabels(c, views.map((view) => view.run.label), (box.right - box.left) / views.length - 6);
  views.forEach((view, position) => {
    c.fillStyle = view.run.color;
    labels[position].forEach((line, row) => c.fillText(line, finalAxes.px(position), box.bottom + 6 + 13 * row));
  });
  finalKey(labels.numbered);
}

// Each column's label under it, in the lines it is drawn in: whole where every label fits its column; else
// broken after '_', '-' or a space into two lines where that fits them all; else each column's number, the
// names listed under the plot (finalKey), as a squeezed or cut name would be illegible.
function columnLabels(c, labels, width) {
  const fits = (line) => c.measureText(line).width <= width;
  if (labels.every(fits)) return Object.assign(labels.map((label) => [label]), { numbered: false });
  const broken = labels.map((label) => {
    const lines = [];
    for (const piece of label.match(/[^_\- ]+[_\- ]*|[_\- ]+/g) || [label]) {
      if (lines.length && fits(lines[lines.length - 1] + piece)) lines[lines.length - 1] += piece;
      else lines.push(piece);
    }
    return lines.map((line) => line.trim());
  });
  if (broken.every((lines) => lines.length <= 2 && lines.every(fits))) return Object.assign(broken, { numbered: false });
  return Object.assign(labels.map((_, position) => [String(position + 1)]), { numbered: true });
}

// The names of the numbered columns, a line each in their colours, under the plot (or nothing when they
// are named in it).
function finalKey(numbered) {
  const key = document.getElementById("final-key");
  key.replaceChildren(...(numbered ? views.map((view, position) => {
    const entry = document.createElement("div");
    entry.style.color = view.run.color;
    entry.textContent = `${position + 1} ${view.run.label}`;
    return entry;
  }) : []));
}

function finalDotAt(event) {
  // The seed's dot nearest the pointer, within 8 pixels: [experiment, net] or null.
  const rect = finalAxes.canvas.getBoundingClientRect();
  const x = event.clientX - rect.left, y = event.clientY - rect.top;
  let best = null, bestDistance = 8;
  finalErrors.forEach((errors, position) => errors.forEach((value, net) => {
    if (!Number.isFinite(value)) return;
    const distance = Math.hypot(finalAxes.px(position + jitter(net)) - x, finalAxes.py(value) - y);
    if (distance < bestDistance) { best = [position, net]; bestDistance = distance; }
  }));
  return best;
}

if (finalAxes) {
  const finalReadout = document.getElementById("final-readout");
  finalAxes.canvas.addEventListener("mousemove", (event) => {
    const dot = finalDotAt(event);
    if (dot === null) { finalReadout.textContent = ""; return; }
    const [position, net] = dot, view = views[position];
    finalReadout.textContent = `${view.run.label}: net ${net} (seed ${view.run.seeds[net]}), final held-out MSE ` +
      formatLoss(finalErrors[position][net]) + " · click to pick it out";
  });
  finalAxes.canvas.addEventListener("click", (event) => {
    const dot = finalDotAt(event);
    if (dot === null) return;
    const [position, net] = dot;
    views[position].pick(views[position].picked === net ? null : net);
  });
}

// --- net 0's curvature and landscape (a run's page), as curvature.png and landscape.gif draw them --

// The spectrum's numbers at each of the run's frames, exact (float64): NaN where not finite.
const spectrum = (DATA.curvature && DATA.curvature.spectrum) || null;
const spectrumValues = spectrum ? Object.fromEntries(["sharpness", "preconditioned", "threshold", "smallest",
  "negative", "near_zero"].map((name) => [name, decode(spectrum[name])])) : null;
const curvatureAxes = spectrum ? (() => {
  const canvas = document.getElementById("curvature-canvas"), epochs = "epoch (log scale)";
  return [
    new Axes(canvas, DATA.epoch_limits, spectrum.sharpness_limits, true, true, epochs,
             "sharpness: the largest eigenvalue (log scale)", [0, 0.46]),
    new Axes(canvas, DATA.epoch_limits, spectrum.smallest_limits, true,
             { linear: spectrum.linear_within, ticks: spectrum.smallest_ticks }, epochs,
             `smallest eigenvalue λmin (symmetric log, linear in ±${Number(spectrum.linear_within.toPrecision(2))})`,
             [0.52, 0.76]),
    new Axes(canvas, DATA.epoch_limits, [0, spectrum.parameters * 1.05], true, false, epochs,
             `how many eigenvalues are negative, near zero (of ${spectrum.parameters})`, [0.82, 1]),
  ];
})() : null;

function markFrame(axes, epoch, values) {
  // The frame's epoch as a red line, and its values on the curves as red dots.
  if (epoch < 1) return;
  const c = axes.context, x = axes.px(epoch);
  c.strokeStyle = COLORS.marker; c.lineWidth = 1;
  c.beginPath(); c.moveTo(x, axes.box.top); c.lineTo(x, axes.box.bottom); c.stroke();
  c.fillStyle = COLORS.marker;
  for (const value of values) {
    if (!Number.isFinite(value) || (axes.yLog === true && value <= 0)) continue;
    c.beginPath(); c.arc(x, axes.py(value), 3.5, 0, 2 * Math.PI); c.fill();
  }
}

function drawCurvature(frame) {
  const own = views[0].snapshot(frame), epoch = views[0].epochShown(frame), epochs = views[0].run.frame_epochs;
  const v = spectrumValues, colors = spectrum.colors;
  const compared = spectrum.compared === "preconditioned" ? v.preconditioned : v.sharpness;
  const [sharpness, smallest, counts] = curvatureAxes;
  curvatureAxes.forEach((axes, index) => {
    const c = axes.begin(index === 0);
    axes.frame();
    axes.clip();
    if (spectrum.diverged_epoch !== null) {  // from where its eigenvalues are not finite, as curvature.png marks it
      const x = axes.px(spectrum.diverged_epoch);
      c.strokeStyle = COLORS.marker; c.lineWidth = 1.2; c.setLineDash([5, 4]);
      c.beginPath(); c.moveTo(x, axes.box.top); c.lineTo(x, axes.box.bottom); c.stroke(); c.setLineDash([]);
    }
    if (axes === sharpness) {
      if (v.threshold) axes.line(epochs, v.threshold, colors.threshold, 1.2, spectrum.reference_only ? [2, 3] : [6, 4]);
      if (spectrum.compared === "preconditioned") axes.line(epochs, v.sharpness, colors.raw, 1, [2, 2]);
      if (spectrum.median) axes.line(spectrum.epochs, spectrum.median, COLORS.median, 1.6);
      axes.line(epochs, compared, COLORS.net, 1.6);
      markFrame(axes, epoch, [compared[own], v.threshold ? v.threshold[own] : NaN]);
    } else if (axes === smallest) {
      // The near-zero band around 0, then the smallest eigenvalue, as curvature.png draws them.
      c.fillStyle = colors.near_zero; c.globalAlpha = 0.2; c.beginPath();
      spectrum.epochs.forEach((e, i) => c.lineTo(axes.px(e), axes.py(spectrum.tolerance[i] ?? 0)));
      for (let i = spectrum.epochs.length - 1; i >= 0; i--) {
        c.lineTo(axes.px(spectrum.epochs[i]), axes.py(-(spectrum.tolerance[i] ?? 0)));
      }
      c.fill(); c.globalAlpha = 1;
      axes.line(DATA.epoch_limits, [0, 0], COLORS.note, 0.6);
      axes.line(epochs, v.smallest, colors.negative, 1.4);
      markFrame(axes, epoch, [v.smallest[own]]);
    } else {
      axes.line(epochs, v.near_zero, colors.near_zero, 1.4);
      axes.line(epochs, v.negative, colors.negative, 1.4);
      markFrame(axes, epoch, [v.near_zero[own], v.negative[own]]);
    }
    c.restore();
  });
  showCurvatureNumbers(frame);
}

function showCurvatureNumbers(frame) {
  // The frame's numbers, as formatLoss writes an error (the counts whole); each element holds the
  // float64 itself in data-value, to be read exactly.
  const own = views[0].snapshot(frame), v = spectrumValues, names = spectrum.names;
  const numbers = [["curvature-sharpness", names.sharpness, v.sharpness[own], false]];
  if (v.preconditioned) numbers.unshift(["curvature-preconditioned", names.preconditioned, v.preconditioned[own], false]);
  if (v.threshold) numbers.push(["curvature-threshold", "stability threshold", v.threshold[own], false]);
  numbers.push(["curvature-smallest", "λmin", v.smallest[own], false], ["curvature-negative", "negative", v.negative[own], true],
               ["curvature-near-zero", "near zero", v.near_zero[own], true]);
  const parts = [document.createTextNode(`epoch ${formatEpoch(views[0].epochShown(frame))}`)];
  for (const [id, words, value, count] of numbers) {
    const number = document.createElement("b");
    number.id = id; number.dataset.value = String(value);
    number.textContent = !Number.isFinite(value) ? "not finite" : count ? String(value) : formatLoss(value);
    parts.push(document.createTextNode(` · ${words} `), number);
  }
  parts.push(document.createTextNode(` (of ${spectrum.parameters})`));
  document.getElementById("curvature-numbers").replaceChildren(...parts);
}

// A comparison's sharpness: every run's on one plot, its threshold dashed in its colour, the page's epoch marked.
const sharpnessAxes = DATA.sharpness ? new Axes(document.getElementById("sharpness-canvas"), DATA.epoch_limits,
                                                DATA.sharpness.limits, true, true, "epoch (log scale)",
                                                "sharpness (log scale)") : null;

function drawSharpnessComparison(frame) {
  const axes = sharpnessAxes, c = axes.begin();
  axes.frame();
  axes.clip();
  for (const curve of DATA.sharpness.curves) {
    if (curve.threshold) axes.line(curve.epochs, curve.threshold, curve.color, 1.2, curve.reference_only ? [2, 3] : [6, 4]);
    axes.line(curve.epochs, curve.sharpness, curve.color, 1.5);
  }
  markFrame(axes, frameEpochs[frame], []);
  c.restore();
}

// The landscape: the objective over the plane as landscape.gif's grey bands (a pixel a grid point),
// the path so far, the frame's point; beside it the straight line from the initial to the final weights.
const landscape = (DATA.curvature && DATA.curvature.landscape) || null;
const COLOR_BAR_ROOM = 64;  // pixels right of the plane: its colour bar, tick labels and title
const landscapeAxes = landscape ? new Axes(document.getElementById("landscape-canvas"), landscape.axis_a,
                                           landscape.axis_b, false, false, landscape.x_label, landscape.y_label) : null;
const landscapePath = landscape ? decode(landscape.path) : null;  // (frames * 2): each frame's point on the plane
const landscapeValues = landscape ? [decode(landscape.path_values), decode(landscape.frame_objective)] : null;
// (the second direction upwards: row 0, its lowest, at the bottom)
const landscapeImage = landscape ? upwardImage(decode(landscape.rgba), landscape.columns, landscape.rows) : null;
// The line runs a quarter past each end, as landscape.gif draws it.
const lineAxes = landscape ? new Axes(document.getElementById("line-canvas"),
                                      [landscape.line_alphas[0], landscape.line_alphas[landscape.line_alphas.length - 1]],
                                      landscape.line_limits, false, true,
                                      "α: 0 the initial weights, 1 the final", "objective (log)") : null;

function weightsMark(c, x, y, final) {
  // The initial weights a white circle, the final a cross, as landscape.gif marks them.
  c.lineWidth = 1.5; c.strokeStyle = COLORS.truth; c.fillStyle = "#fff";
  c.beginPath();
  if (final) {
    c.lineWidth = 2.5; c.moveTo(x - 5, y - 5); c.lineTo(x + 5, y + 5); c.moveTo(x + 5, y - 5); c.lineTo(x - 5, y + 5);
  } else {
    c.arc(x, y, 4.5, 0, 2 * Math.PI); c.fill();
  }
  c.stroke();
}

function drawLandscape(frame) {
  const axes = landscapeAxes, c = axes.begin(), own = views[0].snapshot(frame);
  axes.box.right -= COLOR_BAR_ROOM;
  const { rows, columns } = landscape, [a0, a1] = landscape.axis_a, [b0, b1] = landscape.axis_b;
  const halfA = (a1 - a0) / Math.max(columns - 1, 1) / 2, halfB = (b1 - b0) / Math.max(rows - 1, 1) / 2;
  axes.clip();
  c.imageSmoothingEnabled = false;  // a grid point a cell: the objective where it was worked out
  c.drawImage(landscapeImage, axes.px(a0 - halfA), axes.py(b1 + halfB), axes.px(a1 + halfA) - axes.px(a0 - halfA),
              axes.py(b0 - halfB) - axes.py(b1 + halfB));
  const xs = [], ys = [];
  for (let k = 0; k < landscapePath.length / 2; k++) { xs.push(landscapePath[2 * k]); ys.push(landscapePath[2 * k + 1]); }
  c.globalAlpha = 0.25; axes.line(xs, ys, COLORS.net, 0.8); c.globalAlpha = 1;  // the whole path, faint
  axes.line(xs.slice(0, own + 1), ys.slice(0, own + 1), COLORS.net, 1.6);
  if (Number.isFinite(xs[0]) && Number.isFinite(ys[0])) weightsMark(c, axes.px(xs[0]), axes.py(ys[0]), false);
  weightsMark(c, axes.px(0), axes.py(0), true);
  if (Number.isFinite(xs[own]) && Number.isFinite(ys[own])) {
    c.fillStyle = COLORS.marker; c.strokeStyle = "#fff"; c.lineWidth = 1;
    c.beginPath(); c.arc(axes.px(xs[own]), axes.py(ys[own]), 4.5, 0, 2 * Math.PI); c.fill(); c.stroke();
  }
  c.restore();
  axes.frame();
  drawColorBar(axes);
  const [onPlane, atWeights] = landscapeValues;
  document.getElementById("landscape-numbers").textContent = `epoch ${formatEpoch(views[0].epochShown(frame))} · ` +
    `objective at the frame's point on the plane ${formatLoss(onPlane[own])} · at its own weights ${formatLoss(atWeights[own])}`;
  drawStraightLine();
}

function drawColorBar(axes) {
  // The objective's bands on a log scale beside the plane, as landscape.gif's colour bar.
  const c = axes.context, bands = landscape.bands, box = axes.box;
  const low = bands[0][0], high = bands[bands.length - 1][1], left = box.right + 8;
  const bar = new Axes(axes.canvas, [0, 1], [low, high], false, true, "", "");
  bar.box = { left, right: left + 10, top: box.top, bottom: box.bottom };
  for (const [from, to, color] of bands) {
    c.fillStyle = color; c.fillRect(left, bar.py(to), 10, bar.py(from) - bar.py(to));
  }
  c.strokeStyle = "#333"; c.lineWidth = 1; c.strokeRect(left, box.top, 10, box.bottom - box.top);
  c.fillStyle = "#222"; c.font = "11px sans-serif"; c.textAlign = "left"; c.textBaseline = "middle";
  for (const tick of logTicks(low, high)) c.fillText(tickText(tick, true), left + 14, bar.py(tick));
  c.save(); c.translate(axes.canvas.clientWidth - 6, (box.top + box.bottom) / 2); c.rotate(-Math.PI / 2);
  c.font = "12px sans-serif"; c.textAlign = "center"; c.fillText("training objective", 0, 0); c.restore();
}

function drawStraightLine() {
  const axes = lineAxes, c = axes.begin(), alphas = landscape.line_alphas, values = landscape.line_values;
  axes.frame();
  axes.clip();
  axes.line(alphas, values, COLORS.net, 1.5);
  c.restore();
  // The initial weights at α = 0 and the final at α = 1 (the line goes on past both).
  for (const [alpha, final] of [[0, false], [1, true]]) {
    const value = values[alphas.indexOf(alpha)];
    if (value !== null && value !== undefined && value > 0) weightsMark(c, axes.px(alpha), axes.py(value), final);
  }
}

// --- the frame shown, and what moves it ----------------------------------------------------------

const slider = document.getElementById("frame-slider");
slider.max = String(frameCount - 1);
let current = 0;

function show(frame) {
  current = Math.max(0, Math.min(frameCount - 1, frame));
  slider.value = String(current);
  showEpoch(current);
  for (const view of views) { view.drawFit(current); view.showNumbers(current); }
  drawErrors(current);
  if (rateAxes) drawRate(current);
  if (insidePanels.length) drawInside(current);
  if (residualAxes) drawResiduals(current);
  if (finalAxes) drawFinalErrors();
  if (curvatureAxes) drawCurvature(current);
  if (landscapeAxes) drawLandscape(current);
  if (sharpnessAxes) drawSharpnessComparison(current);
  try {
    history.replaceState(null, "", `#frame=${current}`);
  } catch (error) {
    // A page shown inside a notebook's frame may have no address of its own to keep.
  }
}

function showEpoch(frame) {
  // "epoch N of TOTAL"; a run's last frame of restored best weights says whose they are instead
  // ("epoch 698, restored at 898").
  const restored = !several && views[0].restoredShown(frame);
  // One run: the epoch of the frame it shows (a grid's cell that ended early stays at its last one).
  document.getElementById("epoch").textContent = restored ? views[0].run.restored.label.replace(/^epoch /, "")
    : formatEpoch(several ? frameEpochs[frame] : views[0].epochShown(frame));
  for (const id of ["epoch-of", "epoch-word"]) {
    const element = document.getElementById(id);
    if (element !== null) element.hidden = restored && (id === "epoch-of" || views[0].run.restored.epoch === null);
  }
}

function frameFromFragment() {
  const match = /^#frame=(\d+)$/.exec(window.location.hash);
  return match ? parseInt(match[1], 10) : frameCount - 1;
}

function keepWidths() {
  // Each number beside the slider as wide as the widest it will show (measured: digits, commas and
  // "not finite" differ in width), so that the slider beside them keeps its length.
  const errors = several ? [] : frameEpochs.map((_, frame) => views[0].errorsShown(frame));
  const shown = {
    "epoch": frameEpochs.map(formatEpoch),
    "train-loss": errors.map(([train]) => train),
    "held-out-loss": errors.map(([, heldOut]) => heldOut),
  };
  for (const [id, texts] of Object.entries(shown)) {
    const element = document.getElementById(id);
    if (element === null || !texts.length) continue;
    const longest = Math.max(...texts.map((text) => text.length));
    let widest = 0;
    for (const text of new Set(texts.filter((text) => text.length >= longest - 1))) {
      element.textContent = text;
      widest = Math.max(widest, element.getBoundingClientRect().width);
    }
    element.style.minWidth = `${Math.ceil(widest)}px`;
  }
}

slider.addEventListener("input", () => { stop(); show(parseInt(slider.value, 10)); });
document.addEventListener("keydown", (event) => {
  if (event.key === "ArrowRight") { stop(); show(current + 1); event.preventDefault(); }
  if (event.key === "ArrowLeft") { stop(); show(current - 1); event.preventDefault(); }
  // Space plays, unless a control has the focus: there it is the control's (a checkbox toggles).
  if (event.key === " " && !["INPUT", "SELECT", "BUTTON"].includes(event.target.tagName)) {
    togglePlay(); event.preventDefault();
  }
});

let timer = null;
const playButton = document.getElementById("play");

function stop() {
  if (timer !== null) cancelAnimationFrame(timer);
  timer = null;
  playButton.textContent = "▶ play";
}

function togglePlay() {
  // Frames follow the clock (fps × speed), skipping some when drawing one takes longer than
  // its turn (many seeds at 4×), so the speed asked for is the speed seen.
  if (timer !== null) { stop(); return; }
  if (current === frameCount - 1) show(0);
  const speed = parseFloat(document.getElementById("speed").value);
  const started = performance.now(), first = current;
  playButton.textContent = "❚❚ pause";
  const step = (now) => {
    const frame = Math.min(frameCount - 1, first + Math.floor((now - started) / 1000 * DATA.fps * speed));
    if (frame !== current) show(frame);
    if (frame >= frameCount - 1) { stop(); return; }
    timer = requestAnimationFrame(step);
  };
  timer = requestAnimationFrame(step);
}

playButton.addEventListener("click", togglePlay);
document.getElementById("speed").addEventListener("change", () => { if (timer !== null) { stop(); togglePlay(); } });
for (const id of ["show-units", "show-nets"]) {
  const box = document.getElementById(id);
  if (box) box.addEventListener("change", () => show(current));
}
window.addEventListener("resize", () => show(current));
window.addEventListener("hashchange", () => show(frameFromFragment()));  // an unreadable fragment is rewritten
keepWidths();
show(frameFromFragment());
document.body.dataset.ready = "true";
