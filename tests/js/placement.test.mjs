// The placement check's rules (recommendPath in quiz.js). Run: node --test tests/js/
import { test, describe } from "node:test";
import assert from "node:assert/strict";

import { recommendPath, plannedMinutes, formatMinutes, reasonText } from "../../coursekit/quizzes/assets/quiz.js";

// 01 <- 02 <- 03, 01 <- 04 (no question on 04), 03 <- 05 (no question on 05)
const placement = {
  skim_percent: 25,
  chapters: [
    { number: "01", title: "One", minutes: 60, prerequisites: [], objectives: { "01.1": "do one" } },
    { number: "02", title: "Two", minutes: 80, prerequisites: ["01"], objectives: { "02.1": "do two", "02.2": "do two more" } },
    { number: "03", title: "Three", minutes: 40, prerequisites: ["02"], objectives: { "03.4": "do three" } },
    { number: "04", title: "Four", minutes: 100, prerequisites: ["01"], objectives: {} },
    { number: "05", title: "Five", minutes: 30, prerequisites: ["03"], objectives: {} },
  ],
};
const questions = [
  { id: "q1", objective: "01.1" },
  { id: "q2a", objective: "02.1" },
  { id: "q2b", objective: "02.2" },
  { id: "q3", objective: "03.4" },
  { id: "stray", objective: "99.1" }, // names no chapter of the path: ignored by the rules
];
const right = (...ids) => Object.fromEntries(ids.map((id) => [id, { answer: 0, correct: true }]));
const wrong = (...ids) => Object.fromEntries(ids.map((id) => [id, { answer: 1, correct: false }]));
const statuses = (rec) => Object.fromEntries(rec.chapters.map((c) => [c.number, c.status]));

describe("recommendPath", () => {
  test("everything right: chapters with questions are skipped, the others skimmed", () => {
    const rec = recommendPath(placement, questions, right("q1", "q2a", "q2b", "q3"));
    assert.deepEqual(statuses(rec), { "01": "skip", "02": "skip", "03": "skip", "04": "skim", "05": "skim" });
    assert.equal(rec.answered, 4);
    assert.equal(rec.total, 5);
    assert.equal(rec.minutes, 25 + 8); // 04 and 05 skimmed at 25 %: 100 -> 25, 30 -> 7.5 -> 8
  });

  test("a missed question means study, with the objective as the reason", () => {
    const rec = recommendPath(placement, questions, { ...right("q1", "q2a", "q3"), ...wrong("q2b") });
    const two = rec.chapters[1];
    assert.equal(two.status, "study");
    assert.deepEqual(two.reasons, [{ kind: "missed", objective: "02.2", text: "do two more" }]);
    assert.equal(reasonText(two.reasons[0]), "Missed 02.2: do two more");
  });

  test("a chapter shown right but built on a chapter to study is skimmed, naming that chapter", () => {
    const rec = recommendPath(placement, questions, { ...right("q1", "q3"), ...wrong("q2a", "q2b") });
    assert.deepEqual(statuses(rec), { "01": "skip", "02": "study", "03": "skim", "04": "skim", "05": "skim" });
    const three = rec.chapters[2];
    assert.deepEqual(three.reasons, [
      { kind: "shown", objective: "03.4", text: "do three" },
      { kind: "prerequisite", chapters: ["02"] },
    ]);
    assert.equal(reasonText(three.reasons[1]), "Builds on chapter 02, marked study.");
  });

  test("a chapter without questions is studied when a prerequisite is, skimmed otherwise", () => {
    const rec = recommendPath(placement, questions, { ...wrong("q1"), ...right("q2a", "q2b"), ...wrong("q3") });
    assert.deepEqual(statuses(rec), { "01": "study", "02": "skim", "03": "study", "04": "study", "05": "study" });
    assert.deepEqual(rec.chapters[3].reasons, [{ kind: "no-question" }, { kind: "prerequisite", chapters: ["01"] }]);
    assert.equal(reasonText(rec.chapters[3].reasons[0]), "No question of the check covers this chapter.");
  });

  test("study does not pass through a skimmed chapter: only a prerequisite marked study counts", () => {
    // 01 study -> 02 skim (shown right) -> 03 shown right: its only prerequisite (02) is skim, so skip.
    const rec = recommendPath(placement, questions, { ...wrong("q1"), ...right("q2a", "q2b", "q3") });
    assert.equal(statuses(rec)["03"], "skip");
  });

  test("unanswered questions count as not shown", () => {
    const rec = recommendPath(placement, questions, right("q1"));
    assert.deepEqual(statuses(rec), { "01": "skip", "02": "study", "03": "study", "04": "skim", "05": "study" });
    assert.deepEqual(rec.chapters[1].reasons.map((r) => r.kind), ["unanswered", "unanswered"]);
    assert.match(reasonText(rec.chapters[1].reasons[0]), /^Not answered yet: 02\.1/);
    assert.equal(recommendPath(placement, questions, {}).answered, 0);
  });

  test("every status is decided after its prerequisites, in course order", () => {
    const rec = recommendPath(placement, questions, {});
    assert.deepEqual(rec.chapters.map((c) => c.number), ["01", "02", "03", "04", "05"]);
    assert.equal(rec.minutes, 60 + 80 + 40 + 100 + 30); // nothing shown: study everything
  });

  test("odd input does not throw", () => {
    assert.deepEqual(recommendPath(null, null, null), { chapters: [], answered: 0, total: 0, minutes: 0 });
    assert.equal(recommendPath(placement, questions, { q1: { correct: "yes" } }).chapters[0].status, "study");
  });
});

describe("time of a path", () => {
  test("study counts everything, skim the stated share, skip nothing", () => {
    assert.equal(plannedMinutes(80, "study", 25), 80);
    assert.equal(plannedMinutes(80, "skim", 25), 20);
    assert.equal(plannedMinutes(80, "skip", 25), 0);
    assert.equal(plannedMinutes(30, "skim", 25), 8);
  });

  test("formatMinutes matches the path map's wording", () => {
    assert.equal(formatMinutes(45), "45 min");
    assert.equal(formatMinutes(545), "9 h 05 min");
    assert.equal(formatMinutes(60), "1 h 00 min");
  });

  test("reasons with several chapters read as a list", () => {
    assert.equal(reasonText({ kind: "prerequisite", chapters: ["01", "02", "04"] }), "Builds on chapters 01, 02 and 04, marked study.");
  });
});
