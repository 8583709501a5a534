// Niceties only: every page works without this file. Areas follow the chosen treatment, the
// estimate's lines and total update as the form changes, and a running batch's count moves in
// place. Text is set with textContent: nothing typed or received is ever parsed as HTML.
"use strict";
document.documentElement.classList.add("js");

// A running batch: its count and bar are updated where they are, rather than the whole page
// reloaded every two seconds (which sends a screen reader back to the top each time); the page
// is loaded again once, when the batch has finished. If docgen stops answering, the page says so.
document.addEventListener("DOMContentLoaded", () => {
  const progress = document.getElementById("batch-progress");
  if (!progress) return;
  const bar = progress.querySelector("progress");
  const count = document.getElementById("batch-count");
  let unanswered = 0;
  async function poll() {
    try {
      // a server that takes the request but never answers (asleep, every thread busy)
      // counts as not answering too
      const response = await fetch(progress.dataset.progress, {
        headers: { Accept: "application/json" }, signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) { location.reload(); return; }
      const state = await response.json();
      if (state.finished) { location.reload(); return; }
      unanswered = 0;
      bar.max = Math.max(state.total, 1);
      bar.value = state.done;
      bar.textContent = state.done + " / " + state.total;
      count.textContent = state.text;
    } catch (error) {
      unanswered += 1;
      if (unanswered === 3) count.textContent = progress.dataset.lost;
    }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 2000);
});

// A form sent back with problems: its error summary takes the focus and is read first; each
// problem in it is a link that puts the focus in its field (the first box of a group).
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("form-errors");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    const fields = "input:not([type=hidden]), select, textarea";
    const field = target.matches(fields) ? target : target.querySelector(fields) || target;
    field.focus();
    field.scrollIntoView({ block: "center" });
  });
});

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("patient-form");
  const data = document.getElementById("treatment-data");
  if (!form || !data) return;
  const treatments = JSON.parse(data.textContent);
  const labels = JSON.parse(document.getElementById("preview-labels").textContent);
  const treatment = form.elements.treatment;
  const choices = document.getElementById("area-choices");
  const sessions = form.elements.sessions;
  const sessionsHint = document.getElementById("sessions-hint");
  const body = document.getElementById("preview-body");

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // the areas priced for the chosen treatment, its usual sessions and their hint; with none
  // chosen ("Choose…"), a word that areas follow the treatment, and no sessions
  function showAreas() {
    const chosen = treatments[treatment.value];
    const checked = new Set(Array.from(form.querySelectorAll('input[name="area"]:checked'), (box) => box.value));
    choices.replaceChildren();
    if (!chosen) choices.append(element("p", labels.no_treatment, "hint"));
    for (const area of chosen ? chosen.areas : []) {
      const wrapper = element("div", undefined, "check");
      const box = element("input");
      box.type = "checkbox"; box.name = "area"; box.value = area.code; box.id = "area-" + area.code;
      box.checked = checked.has(area.code);
      const label = element("label", area.name);
      label.htmlFor = box.id;
      wrapper.append(box, label);
      choices.append(wrapper);
    }
    if (chosen) {
      sessions.min = chosen.min; sessions.max = chosen.max; sessions.value = chosen.usual;
    } else {
      sessions.removeAttribute("min"); sessions.removeAttribute("max"); sessions.value = "";
    }
    sessionsHint.textContent = chosen ? chosen.sessions_hint : labels.sessions_hint;
  }

  function showEstimate(preview) {
    body.replaceChildren();
    if (!preview) { body.append(element("p", labels.empty, "empty")); return; }
    if (preview.errors) {
      for (const messages of Object.values(preview.errors)) {
        const box = element("div", undefined, "field-error");
        for (const message of messages) box.append(element("p", message));
        body.append(box);
      }
      return;
    }
    // the estimate as the patient reads it: in the patient's language and its direction
    const estimate = element("div", undefined, "estimate");
    estimate.lang = preview.language; estimate.dir = preview.direction;
    const table = element("table");
    const head = table.createTHead().insertRow();
    for (const [key, numeric] of [["treatment"], ["area"], ["sessions", true], ["amount", true]]) {
      const cell = element("th", preview.headings[key], numeric ? "number" : "");
      cell.scope = "col"; head.append(cell);
    }
    const rows = table.createTBody();
    for (const line of preview.lines) {
      const row = rows.insertRow();
      row.append(element("td", line.treatment), element("td", line.area),
        element("td", line.sessions, "number"), element("td", line.amount, "number"));
      if (line.course_note) {
        row.className = "has-note";
        const note = element("td", line.course_note);
        note.colSpan = 4;
        const noteRow = rows.insertRow();
        noteRow.className = "course-note";
        noteRow.append(note);
      }
    }
    const foot = table.createTFoot();
    preview.totals.forEach((line, index) => {
      const row = foot.insertRow();
      const label = element("th", line.label); label.scope = "row"; label.colSpan = 3;
      const amount = element("td", line.amount, "number");
      if (index === preview.totals.length - 1) {
        row.className = "grand"; amount.classList.add("total"); amount.id = "preview-total";
      }
      row.append(label, amount);
    });
    estimate.append(table, element("p", preview.vat_note, "note"));
    for (const notice of preview.notices) estimate.append(element("p", notice, "note"));
    body.append(estimate);
  }

  let pending = 0;
  async function refreshEstimate() {
    const query = new URLSearchParams();
    for (const name of ["treatment", "sessions", "locale", "prices", "discount", "discount_reason"]) {
      if (form.elements[name]) query.append(name, form.elements[name].value);
    }
    if (form.elements.consultation && form.elements.consultation.checked) query.append("consultation", "yes");
    const areas = form.querySelectorAll('input[name="area"]:checked');
    const visit = form.querySelectorAll('input[name="visit"]');
    if (areas.length === 0 && visit.length === 0) { showEstimate(null); return; }
    for (const box of areas) query.append("area", box.value);
    for (const planned of visit) query.append("visit", planned.value);
    const ticket = ++pending;
    try {
      const response = await fetch("preview?" + query, { headers: { Accept: "application/json" } });
      const preview = await response.json();
      if (ticket === pending) showEstimate(preview);
    } catch (error) {
      // the buttons still work; the total is shown again on the next change
    }
  }

  const prices = form.elements.prices;
  const refresh = form.querySelector('button[value="refresh"]');
  // another price list has other treatments: the server lays the form out again
  if (prices) prices.addEventListener("change", () => form.requestSubmit(refresh));
  treatment.addEventListener("change", () => { showAreas(); refreshEstimate(); });
  form.addEventListener("change", (event) => {
    if (event.target !== treatment && event.target !== prices) refreshEstimate();
  });
  sessions.addEventListener("input", refreshEstimate);
  refreshEstimate();
});
