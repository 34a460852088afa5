// A grid study's page (drawing/page_grid.py writes it; this runs right after page.js, in the same
// script): a slider per grid key chooses a cell, and the chosen cell is page.js's one run (views[0]),
// its fit and errors stepping with the frame slider; phase.png outlines the chosen cell, and a click
// on one of its cells chooses that cell. A missing cell says why in place of its panels.

const GRID = DATA.grid;
const phaseImage = document.getElementById("phase-image");
const phaseMarker = document.getElementById("phase-marker");
const keySliders = GRID.keys.map((_, index) => document.getElementById(`key-slider-${index}`));  // null: one value
const cellViews = new Map([[GRID.initial, views[0]]]);  // each present cell's view, made when first chosen
let chosenCell = GRID.initial;

function cellPosition(values) {
  // The cell of these value indices, one per key, in the grid's order (the last key varying fastest).
  return values.reduce((position, value, key) => position * GRID.keys[key].labels.length + value, 0);
}

function cellView(position) {
  if (!cellViews.has(position)) {
    const view = new RunView(GRID.cells[position].run, 0);
    if (view.run.plane) view.plane = new PlaneMap(view);  // a run of two inputs: its final map (plane_page.js)
    cellViews.set(position, view);
  }
  return cellViews.get(position);
}

function chooseCell(position) {
  chosenCell = position;
  const cell = GRID.cells[position];
  cell.values.forEach((value, key) => {
    if (keySliders[key] !== null) keySliders[key].value = String(value);
    document.getElementById(`key-value-${key}`).textContent = GRID.keys[key].labels[value];
  });
  markCell(position);
  showHeading(cell);
  for (const element of document.querySelectorAll(".cell-shown, #cell-numbers")) {
    element.classList.toggle("missing-cell", cell.missing !== null);
  }
  if (cell.missing === null) {
    views[0] = cellView(position);
    errorAxes.xRange = views[0].run.epoch_limits; errorAxes.yRange = views[0].run.error_limits;  // its own, as on its page
    document.getElementById("epoch-of").textContent = ` of ${formatEpoch(views[0].run.epochs_requested)}`;
    keepWidths();  // this cell's numbers may be wider than the last's
  }
  document.getElementById("error-readout").textContent = "";
  show(current);
}

function showHeading(cell) {
  // The cell's name, linked to its own page, what it trained and how it ended (its row of the table,
  // each number's exact value in data-value); or, missing, why.
  const heading = document.getElementById("cell-heading");
  if (cell.missing !== null) {
    const words = document.createElement("span");
    words.className = "status"; words.id = "cell-missing";
    words.textContent = `missing: ${cell.missing}`;
    heading.replaceChildren(`${cell.name} `, words);
    return;
  }
  const link = document.createElement("a");
  link.href = cell.link; link.textContent = cell.name; link.id = "cell-link";
  const parts = [link, ` (its own page${GRID.bands ? "" : ": its band and every net"}) · ${cell.trained}`];
  const [ended, failed] = cell.status;
  if (ended !== null) {  // stopped early, diverged or interrupted: as its own page says it
    const words = document.createElement("span");
    words.className = failed ? "status" : "ended"; words.id = "cell-status"; words.textContent = ended.replace(/\n/g, " ");
    parts.push(" · ", words);
  }
  parts.push("\n");
  for (const part of cell.numbers) {
    if (typeof part === "string") { parts.push(part); continue; }
    const [id, text, value] = part, number = document.createElement("b");
    number.id = id; number.textContent = text; number.dataset.value = String(value);
    parts.push(number);
  }
  heading.replaceChildren(...parts);
}

function markCell(position) {
  // The chosen cell's box over the phase diagram, in shares of the image (it scales with it).
  const [left, top, right, bottom] = GRID.boxes[position], { width, height } = GRID.image;
  Object.assign(phaseMarker.style, { left: `${100 * left / width}%`, top: `${100 * top / height}%`,
                                     width: `${100 * (right - left) / width}%`, height: `${100 * (bottom - top) / height}%` });
}

function cellUnder(event) {
  // The cell whose box is under the pointer on the phase diagram, or -1.
  const rect = phaseImage.getBoundingClientRect();
  const x = (event.clientX - rect.left) * GRID.image.width / rect.width;
  const y = (event.clientY - rect.top) * GRID.image.height / rect.height;
  return GRID.boxes.findIndex(([left, top, right, bottom]) => x >= left && x <= right && y >= top && y <= bottom);
}

keySliders.forEach((slider) => {
  if (slider === null) return;
  slider.addEventListener("input", () => {
    chooseCell(cellPosition(keySliders.map((each, key) => (each === null ? 0 : parseInt(each.value, 10)))));
  });
  // The arrow keys move this slider, not the frame (page.js steps the frame on the document's).
  slider.addEventListener("keydown", (event) => { if (event.key.startsWith("Arrow")) event.stopPropagation(); });
});
phaseImage.addEventListener("click", (event) => {
  const position = cellUnder(event);
  if (position >= 0) chooseCell(position);
});
phaseImage.addEventListener("mousemove", (event) => {
  phaseImage.style.cursor = cellUnder(event) >= 0 ? "pointer" : "default";
});
chooseCell(GRID.initial);
