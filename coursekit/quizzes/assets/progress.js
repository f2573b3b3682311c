// coursekit progress in the static book: quiz results and "chapter done" marks, kept in this browser's
// localStorage under a key namespaced by the site's root path. Nothing leaves the browser.
//
// Stored value (JSON), the same shape as the live progress file (coursekit/progress_store.py):
//   {"version": 1, "questions": {qid: {"chapter": stem, "correct": bool}}, "done": {stem: true}}
//
// The pure functions below are tested under node (tests/js/progress.test.mjs); the store functions
// wrap localStorage and never throw (storage can be disabled or full: progress is then not kept).

export const VERSION = 1;
const PREFIX = "coursekit-progress:";

export function emptyProgress() {
  return { version: VERSION, questions: {}, done: {} };
}

function isMap(x) {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

/** Parse stored text; anything unreadable or from another version gives an empty progress. */
export function parseProgress(text) {
  try {
    const data = JSON.parse(text);
    if (!isMap(data) || data.version !== VERSION || !isMap(data.questions) || !isMap(data.done)) return emptyProgress();
    const out = emptyProgress();
    for (const [qid, r] of Object.entries(data.questions)) {
      if (isMap(r) && typeof r.chapter === "string" && typeof r.correct === "boolean") out.questions[qid] = { chapter: r.chapter, correct: r.correct };
    }
    for (const [stem, done] of Object.entries(data.done)) if (done === true) out.done[stem] = true;
    return out;
  } catch {
    return emptyProgress();
  }
}

/** The chapter stem of a quiz id ("05_experiment_tracking/registry" -> "05_experiment_tracking"). */
export function chapterOf(quizId) {
  return String(quizId || "").split("/")[0];
}

/** A copy of *progress* with a quiz's latest responses ({qid: {answer, correct}}) recorded. */
export function recordResponses(progress, quizId, responses) {
  const out = { ...progress, questions: { ...progress.questions } };
  const chapter = chapterOf(quizId);
  for (const [qid, r] of Object.entries(responses || {})) {
    if (isMap(r) && typeof r.correct === "boolean") out.questions[qid] = { chapter, correct: r.correct };
  }
  return out;
}

/** A copy of *progress* with a chapter marked done or not. */
export function setDone(progress, chapter, done) {
  const out = { ...progress, done: { ...progress.done } };
  if (done) out.done[chapter] = true;
  else delete out.done[chapter];
  return out;
}

/**
 * One row per chapter: questions answered right / answered / in the chapter's bank, and the done mark.
 * chapters: [{stem, number, title, questions: [qid]}]; answers to questions no longer in a bank are ignored.
 */
export function summarize(progress, chapters) {
  return chapters.map((c) => {
    const ids = Array.isArray(c.questions) ? c.questions : [];
    const mine = ids.map((id) => progress.questions[id]).filter(Boolean);
    return {
      stem: c.stem,
      number: c.number,
      title: c.title,
      total: ids.length,
      answered: mine.length,
      right: mine.filter((r) => r.correct).length,
      done: progress.done[c.stem] === true,
    };
  });
}

/** The storage key for a site, from the URL of this script (it lives in <site>/_static/coursekit/). */
export function siteKey(scriptUrl) {
  return PREFIX + new URL("../../", scriptUrl).pathname;
}

// --------------------------------------------------------------------------- the browser store

export function browserStore(storage = globalThis.localStorage, key = siteKey(import.meta.url)) {
  return {
    key,
    load() {
      try {
        const text = storage.getItem(key);
        return text === null ? emptyProgress() : parseProgress(text);
      } catch {
        return emptyProgress();
      }
    },
    save(progress) {
      try {
        storage.setItem(key, JSON.stringify(progress));
        return true;
      } catch (err) {
        console.warn("coursekit: progress not kept (browser storage unavailable)", err);
        return false;
      }
    },
    clear() {
      try {
        storage.removeItem(key);
      } catch {
        // nothing stored
      }
    },
  };
}

/** Record a quiz's responses in the browser (called by quiz-static.js after each check). */
export function recordInBrowser(quizId, responses, store = browserStore()) {
  store.save(recordResponses(store.load(), quizId, responses));
}
