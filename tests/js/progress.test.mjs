// The static book's progress store (progress.js). Run: node --test tests/js/
import { test, describe } from "node:test";
import assert from "node:assert/strict";

import {
  browserStore, chapterOf, emptyProgress, parseProgress, recordResponses, setDone, siteKey, summarize,
} from "../../coursekit/quizzes/assets/progress.js";

function memoryStorage() {
  const data = new Map();
  return {
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => data.set(k, String(v)),
    removeItem: (k) => data.delete(k),
    data,
  };
}

describe("progress data", () => {
  test("answers are recorded per question with their chapter, latest answer wins", () => {
    let p = recordResponses(emptyProgress(), "05_experiment_tracking/registry",
      { a: { answer: 0, correct: true }, b: { answer: 2, correct: false }, c: { answer: 1 } });
    assert.deepEqual(p.questions, {
      a: { chapter: "05_experiment_tracking", correct: true },
      b: { chapter: "05_experiment_tracking", correct: false },
    });
    p = recordResponses(p, "05_experiment_tracking/registry", { b: { answer: 1, correct: true } });
    assert.equal(p.questions.b.correct, true);
    assert.equal(chapterOf("00_start_here/placement"), "00_start_here");
  });

  test("done marks set and cleared, without changing the input", () => {
    const before = emptyProgress();
    const after = setDone(before, "01_ml_essentials", true);
    assert.deepEqual(after.done, { "01_ml_essentials": true });
    assert.deepEqual(before.done, {});
    assert.deepEqual(setDone(after, "01_ml_essentials", false).done, {});
  });

  test("summary per chapter counts only questions still in its bank", () => {
    let p = recordResponses(emptyProgress(), "01_x/a", { q1: { correct: true }, q2: { correct: false }, gone: { correct: true } });
    p = setDone(p, "01_x", true);
    const rows = summarize(p, [
      { stem: "00_y", number: "00", title: "Start", questions: [] },
      { stem: "01_x", number: "01", title: "One", questions: ["q1", "q2", "q3"] },
    ]);
    assert.deepEqual(rows[1], { stem: "01_x", number: "01", title: "One", total: 3, answered: 2, right: 1, done: true });
    assert.deepEqual(rows[0], { stem: "00_y", number: "00", title: "Start", total: 0, answered: 0, right: 0, done: false });
  });

  test("stored text that is not ours reads as empty", () => {
    for (const text of ["", "{", "null", "[]", '{"version": 2, "questions": {}, "done": {}}', '{"version": 1}']) {
      assert.deepEqual(parseProgress(text), emptyProgress(), text);
    }
    const odd = parseProgress('{"version":1,"questions":{"a":{"chapter":"01_x","correct":"yes"},"b":{"chapter":"01_x","correct":false}},"done":{"01_x":1,"02_y":true}}');
    assert.deepEqual(odd.questions, { b: { chapter: "01_x", correct: false } });
    assert.deepEqual(odd.done, { "02_y": true });
  });

  test("the key is namespaced by the site's root path", () => {
    assert.equal(siteKey("https://me.github.io/mlops-course/_static/coursekit/progress.js"), "coursekit-progress:/mlops-course/");
    assert.equal(siteKey("http://127.0.0.1:8000/_static/coursekit/progress.js"), "coursekit-progress:/");
  });
});

describe("browser store", () => {
  test("round trip and clear", () => {
    const storage = memoryStorage();
    const store = browserStore(storage, "k");
    assert.deepEqual(store.load(), emptyProgress());
    store.save(setDone(emptyProgress(), "01_x", true));
    assert.deepEqual(browserStore(storage, "k").load().done, { "01_x": true });
    assert.deepEqual(browserStore(storage, "other").load(), emptyProgress());
    store.clear();
    assert.equal(storage.data.size, 0);
  });

  test("storage that throws (disabled, full) loses progress but never breaks the page", () => {
    const broken = { getItem() { throw new Error("denied"); }, setItem() { throw new Error("full"); }, removeItem() { throw new Error("denied"); } };
    const store = browserStore(broken, "k");
    const warn = console.warn;
    console.warn = () => {};
    try {
      assert.deepEqual(store.load(), emptyProgress());
      assert.equal(store.save(emptyProgress()), false);
      store.clear();
    } finally {
      console.warn = warn;
    }
  });
});
