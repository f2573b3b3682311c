// coursekit quiz bootstrap for the static book (no kernel).
//
// For every <div class="ck-quiz" data-ck-quiz="..."> in the page, reads the JSON in its
// child <script type="application/json" class="ck-quiz-data">, builds a tiny in-page
// model (get, set, save_changes, on, off), removes the .ck-quiz-fallback note and
// renders the quiz with quiz.js (the same renderer the Jupyter widget uses).
// After each save it dispatches `coursekit:quiz-answer` on document with
// detail {quiz_id, responses}, and records the results in this browser's storage
// (progress.js; shown on the "Your progress" page). On a chapter page, a checkbox
// after the last quiz marks the chapter done.

import quiz from "./quiz.js";
import { browserStore, chapterOf, recordInBrowser, setDone } from "./progress.js";

function makeModel(data, quizId) {
  const state = {
    title: typeof data.title === "string" ? data.title : "",
    quiz_id: typeof data.quiz_id === "string" && data.quiz_id ? data.quiz_id : quizId,
    questions: Array.isArray(data.questions) ? data.questions : [],
    placement: data.placement && typeof data.placement === "object" ? data.placement : {},
    responses: {},
    plan: {},
  };
  return {
    get(key) {
      return state[key];
    },
    set(key, value) {
      state[key] = value;
    },
    save_changes() {
      recordInBrowser(state.quiz_id, state.responses);
      document.dispatchEvent(
        new CustomEvent("coursekit:quiz-answer", {
          detail: { quiz_id: state.quiz_id, responses: state.responses },
        }),
      );
    },
    on() {},
    off() {},
  };
}

function mount(container) {
  if (container.dataset.ckMounted) return; // already rendered (script included twice)
  const quizId = container.getAttribute("data-ck-quiz") || "";
  const script = Array.from(container.children).find(
    (child) => child.matches("script.ck-quiz-data"),
  );
  if (!script) {
    console.error(`coursekit quiz ${quizId}: no script.ck-quiz-data block`);
    return;
  }
  let data;
  try {
    data = JSON.parse(script.textContent);
    if (!data || typeof data !== "object") throw new Error("quiz data is not a JSON object");
  } catch (err) {
    console.error(`coursekit quiz ${quizId}: bad JSON in script.ck-quiz-data`, err);
    return;
  }
  container.dataset.ckMounted = "1";
  const el = document.createElement("div");
  try {
    container.appendChild(el);
    quiz.render({ model: makeModel(data, quizId), el });
    for (const fallback of container.querySelectorAll(":scope > .ck-quiz-fallback")) fallback.remove();
  } catch (err) {
    el.remove(); // keep the fallback note
    console.error(`coursekit quiz ${quizId}: could not render`, err);
  }
}

export function mountAll(root = document) {
  const containers = Array.from(root.querySelectorAll("div.ck-quiz[data-ck-quiz]"));
  for (const container of containers) mount(container);
  const last = containers[containers.length - 1];
  if (last && last.dataset.ckMounted && /\/chapters\/[^/]+$/.test(window.location.pathname)) addDoneBox(last);
}

// "I have finished this chapter", after the page's last quiz (kept in this browser only).
function addDoneBox(container) {
  if (container.parentNode.querySelector(":scope > .ck-done-box")) return;
  const chapter = chapterOf(container.getAttribute("data-ck-quiz"));
  const store = browserStore();
  const box = document.createElement("div");
  box.className = "ck-quiz-ui ck-done-box";
  const label = document.createElement("label");
  label.className = "ck-option";
  const input = document.createElement("input");
  input.type = "checkbox";
  input.className = "ck-done";
  input.checked = store.load().done[chapter] === true;
  input.addEventListener("change", () => store.save(setDone(store.load(), chapter, input.checked)));
  label.append(input, document.createTextNode(` I have finished chapter ${chapter.slice(0, 2)}`));
  const note = document.createElement("p");
  note.className = "ck-done-note";
  const link = document.createElement("a");
  link.href = new URL("../../progress.html", import.meta.url).href;
  link.textContent = "Your progress";
  note.append("Kept in this browser only, with your quiz results: see ", link, ".");
  box.append(label, note);
  container.after(box);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => mountAll(), { once: true });
} else {
  mountAll();
}
