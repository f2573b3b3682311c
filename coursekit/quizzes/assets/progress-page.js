// The "Your progress" page of the static book: fills <div class="ck-progress" data-ck-progress> from this
// browser's storage (progress.js), per chapter: quiz questions right, and a "done" checkbox; plus a reset
// button. The chapter list (stems, titles, question ids) is in the page, written at build time.

import { browserStore, setDone, summarize } from "./progress.js";

function h(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "className") node.className = v;
    else node.setAttribute(k, String(v));
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

function render(container, chapters, store) {
  const rows = summarize(store.load(), chapters);
  const ui = h("div", { className: "ck-quiz-ui ck-progress-ui" });
  const done = rows.filter((r) => r.done).length;
  const answered = rows.reduce((n, r) => n + r.answered, 0);
  const right = rows.reduce((n, r) => n + r.right, 0);
  const total = rows.reduce((n, r) => n + r.total, 0);
  ui.appendChild(
    h("p", { className: "ck-progress-summary", role: "status" },
      `Chapters done: ${done} of ${rows.length}. Quiz questions answered: ${answered} of ${total}, ${right} of them right.`),
  );
  const table = h("table", { className: "ck-progress-table" });
  const head = h("tr");
  for (const label of ["Chapter", "Quiz questions right", "Done"]) head.appendChild(h("th", { scope: "col" }, label));
  table.appendChild(h("thead")).appendChild(head);
  const body = table.appendChild(h("tbody"));
  rows.forEach((r, i) => {
    const tr = body.appendChild(h("tr"));
    tr.dataset.chapter = r.stem;
    const th = tr.appendChild(h("th", { scope: "row" }));
    th.appendChild(h("a", { href: chapters[i].href }, `${r.number} · ${r.title}`));
    const score = r.total ? `${r.right} of ${r.total}` + (r.answered ? ` (${r.answered} answered)` : "") : "no quiz";
    tr.appendChild(h("td", { className: "ck-progress-score" }, score));
    const box = h("input", { type: "checkbox", className: "ck-progress-done", "aria-label": `Chapter ${r.number} done` });
    box.checked = r.done;
    box.addEventListener("change", () => {
      store.save(setDone(store.load(), r.stem, box.checked));
      render(container, chapters, store);
    });
    tr.appendChild(h("td")).appendChild(box);
  });
  ui.appendChild(table);
  const reset = h("button", { type: "button", className: "ck-check ck-progress-reset" }, "Reset my progress");
  reset.addEventListener("click", () => {
    if (window.confirm("Delete your quiz results and done marks for this book from this browser?")) {
      store.clear();
      render(container, chapters, store);
    }
  });
  ui.appendChild(h("p", { className: "ck-actions" })).appendChild(reset);
  for (const old of container.querySelectorAll(":scope > .ck-progress-ui, :scope > .ck-progress-fallback")) old.remove();
  container.appendChild(ui);
}

function mount(container) {
  const script = container.querySelector(":scope > script.ck-progress-data");
  let chapters;
  try {
    chapters = JSON.parse(script ? script.textContent : "").chapters;
    if (!Array.isArray(chapters)) throw new Error("no chapters");
  } catch (err) {
    console.error("coursekit progress: bad or missing script.ck-progress-data", err);
    return;
  }
  const store = browserStore();
  render(container, chapters, store);
  // Another tab answered a quiz or pressed reset: show it here too.
  window.addEventListener("storage", (event) => {
    if (event.key === store.key || event.key === null) render(container, chapters, store);
  });
}

for (const container of document.querySelectorAll("div.ck-progress[data-ck-progress]")) mount(container);
