// The page of a run of two inputs (drawing/plane_page.py writes it; this runs right after page.js,
// in the same script): the map of the plane on the fit canvas, in fit.gif's colours, stepping with
// the frame slider; the training points over it (the held-out points on a toggle), a classifier's
// decision boundary on its outputs, the map read under the pointer at the nearest grid point; a
// classifier's accuracy under the error curves; a menu picking a net of a seeded run out. A grid
// study of such runs (page_grid.py) draws its chosen cell's final map with it too.

const TOP = 50;  // pixels over the map: its colour bar's title, numbers and bar

function rgbOf(hex) {
  return [1, 3, 5].map((start) => parseInt(hex.slice(start, start + 2), 16));
}

function palette(item) {
  // Each stored byte's colour (RGBA): a level's is its colour map step's (levels are whole steps:
  // plane_page.levels), a value below or above the range the map's first or last step, none grey.
  const colors = item.colors, steps = colors.steps.length, table = new Uint8ClampedArray(256 * 4);
  for (let code = 0; code < 256; code++) {
    const hex = code < item.levels ? colors.steps[Math.floor(code * steps / item.levels)]
      : code === 253 ? colors.steps[0] : code === 254 ? colors.steps[steps - 1] : colors.bad;
    table.set([...rgbOf(hex), 255], code * 4);
  }
  return table;
}

function levelValue(item, code) {
  // A stored byte read back: its level's middle; -Infinity or Infinity past the range, NaN if none.
  const { low, high } = item.colors;
  if (code < item.levels) return low + (code + 0.5) / item.levels * (high - low);
  return code === 253 ? -Infinity : code === 254 ? Infinity : NaN;
}

function shortNumber(value) {
  return String(Number(value.toPrecision(3)));
}

function percentText(share) {  // as summaries.percent: "97.6%"
  return Number.isFinite(share) ? `${(100 * share).toFixed(1)}%` : "not finite";
}

class PlaneMap {
  // The map of a run of two inputs (page.js's RunView draws it in place of a fit: view.plane).
  constructor(view) {
    this.view = view;
    this.plane = view.run.map;  // its maps, points, accuracy and names (plane_page.plane_view_data)
    this.canvas = view.canvas;
    this.side = this.plane.side;
    this.maps = this.plane.maps.map((item) => Object.assign({ bytes: decode(item.codes), table: palette(item) }, item));
    this.truth = this.maps.find((item) => item.key === "truth") || null;
    this.train = decode(this.plane.points.train);
    this.heldOut = decode(this.plane.points.held_out);
    // The tick labels are page.js's Axes'; the names of the axes are drawn by the map (label).
    this.axes = new Axes(this.canvas, this.plane.limits[0], this.plane.limits[1], false, false, "", "");
    this.image = document.createElement("canvas");
    this.image.width = this.image.height = this.side;
    this.pointer = null;  // [x1, x2] under the pointer, read again as the frames change
    const accuracy = this.plane.accuracy;  // a classifier's (a grid's cell: none)
    this.accuracy = this.accuracyAxes = null;
    if (accuracy) {
      this.accuracy = { train: decode(accuracy.train), heldOut: decode(accuracy.held_out),
                        netTrain: decode(accuracy.net_train), netHeldOut: decode(accuracy.net_held_out) };
      this.accuracyAxes = new Axes(document.getElementById("accuracy-canvas"), DATA.epoch_limits, accuracy.limits,
                                   true, false, "epoch (log scale)", "accuracy");
    }
    this.netFrameHeldOut = view.run.net_frame_held_out ? decode(view.run.net_frame_held_out) : null;
    this.canvas.addEventListener("mousemove", (event) => {
      if (views[0].plane !== this) return;  // a grid study's cell no longer chosen
      const rect = this.canvas.getBoundingClientRect();
      this.pointer = this.planeAt(event.clientX - rect.left, event.clientY - rect.top);
      this.showReadout(current);
    });
    this.canvas.addEventListener("mouseleave", () => { this.pointer = null; if (views[0].plane === this) this.showReadout(current); });
  }

  get shown() {  // the map chosen (a grid's cell has one)
    const choice = document.getElementById("map-choice");
    return this.maps[choice === null ? 0 : parseInt(choice.value, 10)];
  }

  codes(item, frame) {  // a map's bytes at the page's frame: rows from the bottom, points along x1
    const own = item.frames === 1 ? 0 : this.view.snapshot(frame), count = this.side * this.side;
    return item.bytes.subarray(own * count, (own + 1) * count);
  }

  placeBox() {
    // The map's square, under its colour bar, as large as the canvas allows, centred across it.
    const width = this.canvas.clientWidth, height = this.canvas.clientHeight;
    const side = Math.max(40, Math.min(width - MARGIN.left - MARGIN.right, height - TOP - MARGIN.bottom));
    const left = MARGIN.left + Math.max(0, (width - MARGIN.left - MARGIN.right - side) / 2);
    this.axes.box = { left, right: left + side, top: TOP, bottom: TOP + side };
  }

  draw(frame) {
    const axes = this.axes, item = this.shown, c = axes.begin(), side = this.side;
    this.placeBox();
    axes.frame();
    const box = axes.box, codes = this.codes(item, frame), pixels = new Uint8ClampedArray(side * side * 4);
    for (let row = 0; row < side; row++) {  // the image's top row is the map's last (x2 upwards)
      for (let column = 0; column < side; column++) {
        const code = codes[row * side + column];
        pixels.set(item.table.subarray(code * 4, code * 4 + 4), ((side - 1 - row) * side + column) * 4);
      }
    }
    this.image.getContext("2d").putImageData(new ImageData(pixels, side, side), 0, 0);
    const [[x1Low, x1High], [x2Low, x2High]] = [this.plane.coordinates[0], this.plane.coordinates[1]].map((axis) => [axis[0], axis[axis.length - 1]]);
    const halfX1 = (x1High - x1Low) / (side - 1) / 2, halfX2 = (x2High - x2Low) / (side - 1) / 2;
    axes.clip();
    c.imageSmoothingEnabled = false;  // a grid point a cell, as the GIFs draw it
    c.drawImage(this.image, axes.px(x1Low - halfX1), axes.py(x2High + halfX2),
                axes.px(x1High + halfX1) - axes.px(x1Low - halfX1), axes.py(x2Low - halfX2) - axes.py(x2High + halfX2));
    if (item.output && this.plane.boundary !== null) this.drawBoundary(item, codes);
    this.drawPoints();
    c.restore();
    c.strokeStyle = "#333"; c.lineWidth = 1; c.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
    this.label();
    this.drawBar(item);
    if (this.accuracyAxes) this.drawAccuracy(frame);
    this.showFrameNumbers(frame);
    this.showReadout(frame);
    const picked = this.view.picked, pick = document.getElementById("net-pick"), note = document.getElementById("map-note");
    if (pick) pick.value = picked === null ? "" : String(picked);
    if (note) {
      note.textContent = picked !== null && picked !== 0 && item.key === "prediction"
        ? `the map is net 0's: the run keeps no map of net ${picked}` : "";
    }
  }

  label() {
    // The names of the inputs beside their axes.
    const c = this.axes.context, box = this.axes.box;
    c.fillStyle = "#222"; c.font = "12px sans-serif"; c.textAlign = "center"; c.textBaseline = "top";
    c.fillText(this.plane.names[0], (box.left + box.right) / 2, box.bottom + 22);
    c.save(); c.translate(box.left - 44, (box.top + box.bottom) / 2); c.rotate(-Math.PI / 2);
    c.textBaseline = "middle"; c.fillText(this.plane.names[1], 0, 0); c.restore();
  }

  drawBoundary(item, codes) {
    // Where the map crosses the decision boundary (marching squares on the grid, each cell's crossings
    // joined; a saddle's pair chosen by the cell's middle), as fit.gif's black contour.
    const c = this.axes.context, side = this.side, level = this.plane.boundary, [x1s, x2s] = this.plane.coordinates;
    const { low, high } = item.colors;
    const value = (row, column) => Math.min(high, Math.max(low, levelValue(item, codes[row * side + column])));
    c.strokeStyle = "#1a1a1a"; c.lineWidth = 1.3; c.beginPath();
    for (let row = 0; row < side - 1; row++) {
      for (let column = 0; column < side - 1; column++) {
        // Corners counter-clockwise from the bottom left, and the crossing on each edge after a corner.
        const corners = [[row, column], [row, column + 1], [row + 1, column + 1], [row + 1, column]];
        const values = corners.map(([r, k]) => value(r, k));
        if (values.some(Number.isNaN)) continue;
        const crossings = [];
        for (let edge = 0; edge < 4; edge++) {
          const a = values[edge], b = values[(edge + 1) % 4];
          if ((a > level) === (b > level)) continue;
          const t = (level - a) / (b - a), [ra, ka] = corners[edge], [rb, kb] = corners[(edge + 1) % 4];
          crossings.push([edge, this.axes.px(x1s[ka] + t * (x1s[kb] - x1s[ka])), this.axes.py(x2s[ra] + t * (x2s[rb] - x2s[ra]))]);
        }
        if (crossings.length === 4 && (values.reduce((sum, v) => sum + v, 0) / 4 > level) !== (values[0] > level)) {
          crossings.push(crossings.shift());  // the middle joins corner 0 to corner 2: pair the other edges
        }
        for (let k = 0; k + 1 < crossings.length; k += 2) {
          c.moveTo(crossings[k][1], crossings[k][2]); c.lineTo(crossings[k + 1][1], crossings[k + 1][2]);
        }
      }
    }
    c.stroke();
  }

  drawPoints() {
    // The training points filled, the held-out points hollow (a ring in the edge's colour under one
    // in the point's), as plane_frames draws them.
    const c = this.axes.context, points = this.plane.points;
    const dot = (positions, k, radius) => { c.beginPath(); c.arc(this.axes.px(positions[2 * k]), this.axes.py(positions[2 * k + 1]), radius, 0, 2 * Math.PI); };
    if (this.heldOut && checked("show-held-out")) {
      for (let k = 0; k < points.held_out_colors.length; k++) {
        dot(this.heldOut, k, 3.2);
        c.strokeStyle = points.edge; c.lineWidth = 2.6; c.stroke();
        c.strokeStyle = points.held_out_colors[k]; c.lineWidth = 1.2; c.stroke();
      }
    }
    if (!checked("show-train")) return;
    c.lineWidth = 0.7; c.strokeStyle = points.edge;
    for (let k = 0; k < points.train_colors.length; k++) {
      dot(this.train, k, 2.8);
      c.fillStyle = points.train_colors[k]; c.fill(); c.stroke();
    }
  }

  drawBar(item) {
    // The map's colours above it, as the GIFs' colour bar: its steps, the numbers it marks (a
    // classifier's classes at its ends, in their colours) and the first of its titles that fits.
    const c = this.axes.context, box = this.axes.box, colors = item.colors, steps = colors.steps.length;
    const width = box.right - box.left, top = box.top - 13, height = 8;
    const x = (value) => box.left + (value - colors.low) / (colors.high - colors.low) * width;
    colors.steps.forEach((step, k) => { c.fillStyle = step; c.fillRect(box.left + k * width / steps, top, width / steps + 0.5, height); });
    c.strokeStyle = "#333"; c.lineWidth = 1; c.strokeRect(box.left, top, width, height);
    item.extend.forEach((past, end) => {  // an arrow at an end some value lies past, in that end's colour
      if (!past) return;
      const edge = end ? box.right : box.left, tip = end ? edge + 7 : edge - 7;
      c.fillStyle = colors.steps[end ? steps - 1 : 0];
      c.beginPath(); c.moveTo(edge, top); c.lineTo(tip, top + height / 2); c.lineTo(edge, top + height); c.closePath();
      c.fill(); c.stroke();
    });
    c.font = "11px sans-serif"; c.textBaseline = "bottom";
    const ends = colors.ends || [];
    ends.forEach((name, k) => {
      c.fillStyle = this.plane.class_colors[k]; c.textAlign = k ? "right" : "left"; c.font = "bold 11px sans-serif";
      c.fillText(name, k ? box.right : box.left, top - 2);
    });
    c.font = "11px sans-serif"; c.fillStyle = "#222"; c.textAlign = "center";
    const ticks = colors.ticks.length ? colors.ticks : linearTicks(colors.low, colors.high, 4);
    for (const tick of ticks) {
      if (tick < colors.low || tick > colors.high || (ends.length && (tick === colors.low || tick === colors.high))) continue;
      c.fillRect(x(tick), top - 2, 1, 2);
      c.fillText(shortNumber(tick), Math.min(box.right - 8, Math.max(box.left + 8, x(tick))), top - 2);
    }
    c.font = "12px sans-serif";
    const title = colors.titles.find((text) => c.measureText(text).width <= width) || colors.titles[colors.titles.length - 1];
    c.fillText(title, (box.left + box.right) / 2, top - 16);
  }

  planeAt(x, y) {
    // The point of the plane under a pixel of the canvas, or null off the map.
    const box = this.axes.box;
    if (x < box.left || x > box.right || y < box.top || y > box.bottom) return null;
    const [[x1Low, x1High], [x2Low, x2High]] = this.plane.limits;
    return [x1Low + (x - box.left) / (box.right - box.left) * (x1High - x1Low),
            x2High - (y - box.top) / (box.bottom - box.top) * (x2High - x2Low)];
  }

  showReadout(frame) {
    // The map under the pointer, at the nearest grid point it is stored on: its input values, the
    // map's value there (a level's middle, to within half a level: the ±) and a classifier's class.
    const readout = document.getElementById("map-readout");
    if (this.pointer === null) { readout.textContent = ""; return; }
    const nearest = (axis, value) => axis.reduce((best, v, k) => (Math.abs(v - value) < Math.abs(axis[best] - value) ? k : best), 0);
    const [x1s, x2s] = this.plane.coordinates, column = nearest(x1s, this.pointer[0]), row = nearest(x2s, this.pointer[1]);
    const item = this.shown, code = this.codes(item, frame)[row * this.side + column];
    const words = [`${this.plane.names[0]} ${shortNumber(x1s[column])}, ${this.plane.names[1]} ${shortNumber(x2s[row])} (nearest grid point)`];
    words.push(`${item.menu}: ${this.valueText(item, code)}`);
    if (this.truth && item !== this.truth) words.push(`${this.truth.menu}: ${this.valueText(this.truth, this.codes(this.truth, frame)[row * this.side + column])}`);
    readout.textContent = words.join(" · ");
  }

  valueText(item, code) {
    const { low, high } = item.colors, half = (high - low) / item.levels / 2;
    if (code === 255) return "not finite";
    if (code === 253) return `below ${shortNumber(low)} (the colours' range)`;
    if (code === 254) return `above ${shortNumber(high)} (the colours' range)`;
    const value = levelValue(item, code), digits = Math.max(0, Math.ceil(-Math.log10(half)) - 1);
    let text = `${value.toFixed(digits)} (±${Number(half.toPrecision(1))})`;
    if (item.output && this.plane.classes) {
      const level = this.plane.boundary;
      text += Math.abs(value - level) <= half ? " · at the decision boundary" : ` → ${this.plane.classes[value > level ? 1 : 0]}`;
    }
    return text;
  }

  showFrameNumbers(frame) {
    // A classifier's (median) accuracy at the frame, beside the errors over the slider.
    if (!this.accuracy) return;
    const own = this.view.snapshot(frame);
    document.getElementById("train-accuracy").textContent = percentText(this.accuracy.train[own]);
    document.getElementById("held-out-accuracy").textContent = percentText(this.accuracy.heldOut[own]);
  }

  pickedWords(frame) {
    // What page.js says of a net picked out, past its training error: its held-out error and accuracy.
    const at = this.view.snapshot(frame) * this.view.nets + this.view.picked;
    const heldOut = ` · held-out ${ERROR_NAME} ${this.view.epochShown(frame) >= 1 ? formatLoss(this.netFrameHeldOut[at]) : "–"}`;
    if (!this.accuracy) return heldOut;
    return `${heldOut} · accuracy ${percentText(this.accuracy.netTrain[at])} training, ` +
      `${percentText(this.accuracy.netHeldOut[at])} held-out`;
  }

  drawAccuracy(frame) {
    // The accuracy at each frame, the best possible dashed where known, a net picked out in pink,
    // the frame's epoch marked, as fit.gif's accuracy panel.
    const axes = this.accuracyAxes, c = axes.begin(), run = this.view.run, epochs = run.frame_epochs;
    const best = this.plane.accuracy.best, picked = this.view.picked;
    axes.frame();
    axes.clip();
    if (best !== null) axes.line(DATA.epoch_limits, [best, best], COLORS.floor, 1.2, [5, 4]);
    axes.line(epochs, this.accuracy.heldOut, COLORS.validation, 1);
    axes.line(epochs, this.accuracy.train, this.view.nets > 1 ? COLORS.median : COLORS.net, 1.5);
    if (picked !== null) {
      const ofNet = (values) => epochs.map((_, own) => values[own * this.view.nets + picked]);
      axes.line(epochs, ofNet(this.accuracy.netTrain), PICKED_COLOR, 1.5);
      axes.line(epochs, ofNet(this.accuracy.netHeldOut), PICKED_COLOR, 1.2, [5, 3]);
    }
    const own = this.view.snapshot(frame);
    markFrame(axes, this.view.epochShown(frame), [this.accuracy.train[own], this.accuracy.heldOut[own]]);
    c.restore();
  }
}

views[0].plane = new PlaneMap(views[0]);
for (const id of ["map-choice", "show-train", "show-held-out"]) {
  const control = document.getElementById(id);
  if (control) control.addEventListener("change", () => show(current));
}
const netPick = document.getElementById("net-pick");  // a seeded run's
if (netPick) netPick.addEventListener("change", () => views[0].pick(netPick.value === "" ? null : parseInt(netPick.value, 10)));
show(current);
