// The page of a run (drawing/page.py writes it, with this script and the run's data inside):
// one epoch slider drives every panel; play, pause, speed; arrow keys step a frame; the URL's
// fragment (#frame=K) keeps the frame. Everything is drawn on canvases; no request leaves the page.
"use strict";

const DATA = JSON.parse(document.getElementById("run-data").textContent);
const COLORS = DATA.colors;

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
  return values;
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

const xTrain = decode(DATA.x_train), yTrain = decode(DATA.y_train);
const xGrid = decode(DATA.x_grid), yTruth = decode(DATA.y_grid_true);
const frameEpochs = DATA.frame_epochs;
const frameLoss = decode(DATA.frame_loss);  // (frames,) net 0's, or the median over nets
const predictions = decode(DATA.predictions);  // (frames * grid)
const trainAfter = decode(DATA.train_after);  // index e: the training error after e epochs
const heldOutAfter = decode(DATA.held_out_after);  // index e: the held-out error after e epochs (NaN at 0)
const units = DATA.units ? decode(DATA.units) : null;  // (frames * units * grid), net 0's
// A seeded run: every net at display precision on a few grid columns, the 10-90% band, each net's curve.
const nets = DATA.nets;
const netPredictions = nets > 1 ? decode(DATA.net_predictions) : null;  // (frames * nets * columns)
const netColumns = nets > 1 ? DATA.net_columns : null;
const bandLow = nets > 1 ? decode(DATA.band_low) : null, bandHigh = nets > 1 ? decode(DATA.band_high) : null;
const netCurves = nets > 1 ? decode(DATA.net_curves) : null;  // (nets * points), log10 of the error
const netFrameLoss = nets > 1 ? decode(DATA.net_frame_loss) : null;  // (frames * nets)
let picked = null;  // the net picked out by a click, or null
const PICKED_COLOR = "#e377c2";  // not the marker's red, nor any colour of the run's own
const unitCount = DATA.unit_count || 0;
const gridPoints = xGrid.length;
const frameCount = frameEpochs.length;

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

function linearTicks(low, high, count) {
  const step0 = (high - low) / Math.max(count, 1);
  const power = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= step0) || step0;
  const ticks = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step) ticks.push(tick);
  return ticks;
}

function logTicks(low, high) {
  const ticks = [];
  for (let power = Math.floor(Math.log10(low)); power <= Math.ceil(Math.log10(high)); power++) {
    const tick = Math.pow(10, power);
    if (tick >= low * 0.999 && tick <= high * 1.001) ticks.push(tick);
  }
  return ticks;
}

function tickText(value, logScale) {
  if (logScale && (value >= 1e6 || value < 1e-4)) return `1e${Math.round(Math.log10(value))}`;  // a blow-up's 1e30
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
    if (this.band) {
      const [top, bottom] = this.band;
      this.box.top = 16 + top * (height - 40);
      this.box.bottom = bottom * (height - 40);
    }
    return context;
  }

  scale(value, [low, high], log, from, to) {
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
    const xTicks = this.xLog ? logTicks(...this.xRange) : linearTicks(...this.xRange, 6);
    let yTicks = this.yLog ? logTicks(...this.yRange) : linearTicks(...this.yRange, this.band ? 2 : 5);
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
      c.fillText(tickText(tick, this.yLog), box.left - 6, y);
      c.beginPath(); c.moveTo(box.left, y); c.lineTo(box.right, y); c.stroke();
    }
    c.font = "12px sans-serif"; c.textAlign = "center"; c.textBaseline = "bottom";
    if (this.band) {  // a small plot: its title above it, the epoch axis's label only under the last
      c.textAlign = "left"; c.fillText(this.yLabel, box.left, box.top - 2);
      if (this.band[1] === 1) { c.textAlign = "center"; c.fillText(this.xLabel, (box.left + box.right) / 2, this.canvas.clientHeight - 4); }
      return;
    }
    c.fillText(this.xLabel, (box.left + box.right) / 2, this.canvas.clientHeight - 4);
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
    let drawing = false;
    for (let i = 0; i < xs.length; i++) {
      const ok = Number.isFinite(ys[i]) && (!this.yLog || ys[i] > 0) && (!this.xLog || xs[i] > 0);
      if (!ok) { drawing = false; continue; }
      const x = this.px(xs[i]), y = Math.max(-1e4, Math.min(1e4, this.py(ys[i])));
      if (drawing) c.lineTo(x, y); else c.moveTo(x, y);
      drawing = true;
    }
    c.stroke(); c.setLineDash([]);
  }
}

// --- the panels ------------------------------------------------------------------------------------

const fitAxes = new Axes(document.getElementById("fit-canvas"), DATA.x_limits, DATA.y_limits, false, false,
                         DATA.axis_names[0], DATA.axis_names[1]);

function drawFit(frame) {
  const c = fitAxes.begin();
  fitAxes.frame();
  fitAxes.clip();
  const showUnits = units && document.getElementById("show-units").checked;
  if (showUnits) {
    const columns = DATA.unit_columns, x = columns.map((i) => xGrid[i]);
    for (let unit = 0; unit < unitCount; unit++) {
      const start = (frame * unitCount + unit) * columns.length;
      const curve = Array.from(units.subarray(start, start + columns.length), (v) => v + DATA.units_baseline);
      fitAxes.line(x, curve, DATA.unit_colors[unit], 1);
    }
  }
  if (nets > 1) drawNets(frame);
  c.fillStyle = COLORS.data;
  for (let i = 0; i < xTrain.length; i++) {
    c.beginPath(); c.arc(fitAxes.px(xTrain[i]), fitAxes.py(yTrain[i]), 2, 0, 2 * Math.PI); c.fill();
  }
  if (yTruth) fitAxes.line(xGrid, yTruth, COLORS.truth, 1.5, [2, 3]);
  const median = pinned(predictions.subarray(frame * gridPoints, (frame + 1) * gridPoints));
  fitAxes.line(xGrid, median, nets > 1 ? COLORS.median : COLORS.net, 2.5);
  if (picked !== null) fitAxes.line(netColumns.map((i) => xGrid[i]), netCurve(frame, picked), PICKED_COLOR, 2);
  c.restore();
}

function pinned(values) {
  // A prediction far off the panel (a diverging net's) drawn along its edge, as the GIFs draw it.
  const [low, high] = DATA.y_limits, inside = (high - low) * 0.005;
  return Array.from(values, (v) => (Number.isFinite(v) ? Math.min(high - inside, Math.max(low + inside, v)) : v));
}

function netCurve(frame, net) {
  const start = (frame * nets + net) * netColumns.length;
  return netPredictions.subarray(start, start + netColumns.length);
}

function drawNets(frame) {
  const c = fitAxes.context;
  const x = netColumns.map((i) => xGrid[i]);
  if (document.getElementById("show-nets").checked) {
    const alpha = Math.max(0.05, Math.min(0.25, 5 / nets));
    c.globalAlpha = alpha;
    for (let net = 0; net < nets; net++) fitAxes.line(x, netCurve(frame, net), COLORS.net, 0.8);
    c.globalAlpha = 1;
  }
  // The band between the 10th and 90th percentile of the nets, on the full grid.
  const low = bandLow.subarray(frame * gridPoints, (frame + 1) * gridPoints);
  const high = bandHigh.subarray(frame * gridPoints, (frame + 1) * gridPoints);
  c.fillStyle = COLORS.net; c.globalAlpha = 0.25; c.beginPath();
  let started = false;
  for (let i = 0; i < gridPoints; i++) {
    if (!Number.isFinite(low[i])) continue;
    const px = fitAxes.px(xGrid[i]), py = fitAxes.py(high[i]);
    if (started) c.lineTo(px, py); else { c.moveTo(px, py); started = true; }
  }
  for (let i = gridPoints - 1; i >= 0; i--) {
    if (Number.isFinite(low[i])) c.lineTo(fitAxes.px(xGrid[i]), fitAxes.py(low[i]));
  }
  c.fill(); c.globalAlpha = 1;
}

const errorAxes = new Axes(document.getElementById("error-canvas"), DATA.epoch_limits, DATA.error_limits, true, true,
                           "epoch (log scale)", "MSE (log scale)");

function drawErrors(frame) {
  const c = errorAxes.begin();
  errorAxes.frame();
  errorAxes.clip();
  if (DATA.noise_floor) errorAxes.line(DATA.epoch_limits, [DATA.noise_floor, DATA.noise_floor], COLORS.floor, 1.2, [5, 4]);
  if (nets > 1 && document.getElementById("show-nets").checked) {
    const points = DATA.curve_epochs.length;
    errorAxes.context.globalAlpha = Math.max(0.05, Math.min(0.3, 5 / nets));
    for (let net = 0; net < nets; net++) {
      const curve = Array.from(netCurves.subarray(net * points, (net + 1) * points), (v) => Math.pow(10, v));
      errorAxes.line(DATA.curve_epochs, curve, COLORS.net, 0.8);
    }
    errorAxes.context.globalAlpha = 1;
  }
  if (picked !== null) {
    const points = DATA.curve_epochs.length;
    const curve = Array.from(netCurves.subarray(picked * points, (picked + 1) * points), (v) => Math.pow(10, v));
    errorAxes.line(DATA.curve_epochs, curve, PICKED_COLOR, 1.5);
  }
  errorAxes.line(DATA.curve_epochs, DATA.curve_held_out, COLORS.validation, 1);
  errorAxes.line(DATA.curve_epochs, DATA.curve_train, nets > 1 ? COLORS.median : COLORS.net, 1.5);
  const epoch = frameEpochs[frame];
  if (epoch >= 1) {
    const x = errorAxes.px(epoch);
    c.strokeStyle = COLORS.marker; c.lineWidth = 1;
    c.beginPath(); c.moveTo(x, errorAxes.box.top); c.lineTo(x, errorAxes.box.bottom); c.stroke();
    if (Number.isFinite(frameLoss[frame]) && frameLoss[frame] > 0) {
      c.fillStyle = COLORS.marker;
      c.beginPath(); c.arc(x, errorAxes.py(frameLoss[frame]), 4, 0, 2 * Math.PI); c.fill();
    }
  }
  c.restore();
}

const insidePanels = DATA.diagnostics.map((panel, index, all) => new Axes(
  document.getElementById("inside-canvas"), DATA.epoch_limits, panel.limits, true, panel.log, "epoch (log scale)",
  panel.title, [index / all.length, (index + 1) / all.length]));
const LAYER_COLORS = [COLORS.net, "#9467bd", "#8c564b", "#e377c2"];

function drawInside(frame) {
  const epoch = frameEpochs[frame];
  insidePanels.forEach((axes, index) => {
    const panel = DATA.diagnostics[index];
    const c = axes.begin(index === 0);
    axes.frame();
    axes.clip();
    panel.lines.forEach((line, layer) => axes.line(line.epochs, line.values, LAYER_COLORS[layer % 4], 1.2));
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

// The residual heat map: a row per frame, the untrained net at the bottom, as residuals.png's
// colours; the frame shown is marked.
const residualAxes = new Axes(document.getElementById("residual-canvas"), DATA.residuals.x_range,
                              [-0.5, frameCount - 0.5], false, false, DATA.axis_names[0], "frame (epoch marked)");
const residualImage = (() => {
  const columns = DATA.residuals.columns, pixels = decode(DATA.residuals.rgba);
  const flipped = new Uint8ClampedArray(pixels.length), rowBytes = columns * 4;
  for (let row = 0; row < frameCount; row++) {  // epoch upwards: frame 0 at the bottom
    flipped.set(pixels.subarray(row * rowBytes, (row + 1) * rowBytes), (frameCount - 1 - row) * rowBytes);
  }
  const image = document.createElement("canvas");
  image.width = columns; image.height = frameCount;
  image.getContext("2d").putImageData(new ImageData(flipped, columns, frameCount), 0, 0);
  return image;
})();

function drawResiduals(frame) {
  const c = residualAxes.begin(), box = residualAxes.box;
  c.imageSmoothingEnabled = false;
  c.drawImage(residualImage, box.left, box.top, box.right - box.left, box.bottom - box.top);
  residualAxes.yRange = [-0.5, frameCount - 0.5];
  c.strokeStyle = "#333"; c.lineWidth = 1; c.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
  c.fillStyle = "#222"; c.font = "11px sans-serif"; c.textAlign = "center"; c.textBaseline = "top";
  for (const tick of linearTicks(...DATA.residuals.x_range, 6)) {
    c.fillText(tickText(tick, false), residualAxes.px(tick), box.bottom + 6);
  }
  c.textAlign = "right"; c.textBaseline = "middle";
  const marks = [0, Math.round((frameCount - 1) / 2), frameCount - 1];
  for (const mark of marks) c.fillText(formatEpoch(frameEpochs[mark]), box.left - 6, residualAxes.py(mark));
  const y = residualAxes.py(frame);
  c.strokeStyle = "#000"; c.lineWidth = 2;
  c.beginPath(); c.moveTo(box.left - 4, y); c.lineTo(box.right + 4, y); c.stroke();
  c.font = "bold 11px sans-serif";
  c.fillText(formatEpoch(frameEpochs[frame]), box.left - 6, y);
  c.font = "12px sans-serif"; c.textAlign = "center"; c.textBaseline = "bottom";
  c.fillText(DATA.axis_names[0], (box.left + box.right) / 2, residualAxes.canvas.clientHeight - 4);
}

// --- the frame shown, and what moves it ----------------------------------------------------------

const slider = document.getElementById("frame-slider");
slider.max = String(frameCount - 1);
let current = 0;

function show(frame) {
  current = Math.max(0, Math.min(frameCount - 1, frame));
  slider.value = String(current);
  const epoch = frameEpochs[current];
  document.getElementById("epoch").textContent = formatEpoch(epoch);
  document.getElementById("train-loss").textContent = formatLoss(frameLoss[current]);
  document.getElementById("held-out-loss").textContent = epoch >= 1 ? formatLoss(heldOutAfter[epoch]) : "–";
  drawFit(current);
  drawErrors(current);
  if (insidePanels.length) drawInside(current);
  drawResiduals(current);
  if (picked !== null) {
    document.getElementById("net-readout").textContent =
      `picked: net ${picked} (seed ${DATA.seeds[picked]}), training MSE ${formatLoss(netFrameLoss[current * nets + picked])}`;
  }
  history.replaceState(null, "", `#frame=${current}`);
}

function frameFromFragment() {
  const match = /^#frame=(\d+)$/.exec(window.location.hash);
  return match ? parseInt(match[1], 10) : frameCount - 1;
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
if (units) document.getElementById("show-units").addEventListener("change", () => drawFit(current));
if (nets > 1) {
  document.getElementById("show-nets").addEventListener("change", () => show(current));
  // A click on the fit picks out the net passing nearest the point clicked (again: no net).
  document.getElementById("fit-canvas").addEventListener("click", (event) => {
    const rect = event.target.getBoundingClientRect();
    const clickX = event.clientX - rect.left, clickY = event.clientY - rect.top;
    let best = null, bestDistance = 12;  // pixels
    for (let net = 0; net < nets; net++) {
      const curve = netCurve(current, net);
      for (let k = 0; k < netColumns.length; k++) {
        if (!Number.isFinite(curve[k])) continue;
        const distance = Math.hypot(fitAxes.px(xGrid[netColumns[k]]) - clickX, fitAxes.py(curve[k]) - clickY);
        if (distance < bestDistance) { best = net; bestDistance = distance; }
      }
    }
    picked = best === picked ? null : best;
    if (picked === null) document.getElementById("net-readout").textContent = "";
    show(current);
  });
}

// Hover on the error curves: the epoch under the pointer and both errors there, exactly as recorded.
const errorCanvas = document.getElementById("error-canvas");
const readout = document.getElementById("error-readout");

function epochAt(event) {
  const rect = errorCanvas.getBoundingClientRect();
  const epoch = Math.round(errorAxes.xOf(event.clientX - rect.left));
  return Math.max(1, Math.min(trainAfter.length - 1, epoch));
}

errorCanvas.addEventListener("mousemove", (event) => {
  const epoch = epochAt(event);
  const median = nets > 1 ? "median " : "";
  readout.textContent = `epoch ${formatEpoch(epoch)} · ${median}training ${formatLoss(trainAfter[epoch])} · ` +
    `${median}held-out ${formatLoss(heldOutAfter[epoch])}`;
});
errorCanvas.addEventListener("mouseleave", () => { readout.textContent = ""; });
errorCanvas.addEventListener("click", (event) => {
  // Jump to the frame nearest the epoch clicked (on the log scale the axis uses).
  const epoch = epochAt(event);
  let best = 0;
  for (let frame = 0; frame < frameCount; frame++) {
    const distance = Math.abs(Math.log(Math.max(frameEpochs[frame], 0.5)) - Math.log(epoch));
    if (distance < Math.abs(Math.log(Math.max(frameEpochs[best], 0.5)) - Math.log(epoch))) best = frame;
  }
  stop(); show(best);
});

window.addEventListener("resize", () => show(current));
window.addEventListener("hashchange", () => { if (frameFromFragment() !== current) show(frameFromFragment()); });
show(frameFromFragment());
document.body.dataset.ready = "true";
