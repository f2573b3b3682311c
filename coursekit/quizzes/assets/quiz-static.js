// coursekit quiz bootstrap for the static book (no kernel).
//
// For every <div class="ck-quiz" data-ck-quiz="..."> in the page, reads the JSON in its
// child <script type="application/json" class="ck-quiz-data">, builds a tiny in-page
// model (get, set, save_changes, on, off), removes the .ck-quiz-fallback note and
// renders the quiz with quiz.js (the same renderer the Jupyter widget uses).
// After each save it dispatches `coursekit:quiz-answer` on document with
// detail {quiz_id, responses}.

import quiz from "./quiz.js";

function makeModel(data, quizId) {
  const state = {
    title: typeof data.title === "string" ? data.title : "",
    quiz_id: typeof data.quiz_id === "string" && data.quiz_id ? data.quiz_id : quizId,
    questions: Array.isArray(data.questions) ? data.questions : [],
    responses: {},
  };
  return {
    get(key) {
      return state[key];
    },
    set(key, value) {
      state[key] = value;
    },
    save_changes() {
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
  for (const container of root.querySelectorAll("div.ck-quiz[data-ck-quiz]")) mount(container);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => mountAll(), { once: true });
} else {
  mountAll();
}
