// Tests for the pure parts of the quiz renderer. Run: node --test tests/js/
import { test, describe } from "node:test";
import assert from "node:assert/strict";

import quiz, { parseNumber, checkAnswer, toBankAnswer, toShownAnswer } from "../../coursekit/quizzes/assets/quiz.js";

function value(text, unit = "") {
  const r = parseNumber(text, unit);
  assert.ok("value" in r, `expected a value for ${JSON.stringify(text)}, got ${JSON.stringify(r)}`);
  assert.ok(!("error" in r));
  return r.value;
}

function error(text, unit = "") {
  const r = parseNumber(text, unit);
  assert.ok("error" in r, `expected an error for ${JSON.stringify(text)}, got ${JSON.stringify(r)}`);
  assert.ok(!("value" in r));
  assert.equal(typeof r.error, "string");
  assert.ok(r.error.length > 0);
  return r.error;
}

describe("module shape", () => {
  test("default export has render", () => {
    assert.equal(typeof quiz.render, "function");
  });
});

describe("parseNumber", () => {
  test("plain decimals and integers", () => {
    assert.equal(value("1.5"), 1.5);
    assert.equal(value("0.8"), 0.8);
    assert.equal(value("42"), 42);
    assert.equal(value(".5"), 0.5);
  });

  test("trims surrounding whitespace", () => {
    assert.equal(value("  1.5 \n"), 1.5);
  });

  test("signs", () => {
    assert.equal(value("-2"), -2);
    assert.equal(value("+3"), 3);
    assert.equal(value("-0.25"), -0.25);
    assert.equal(value("\u22122"), -2); // Unicode minus sign
  });

  test("exponent notation", () => {
    assert.equal(value("1.5e3"), 1500);
    assert.equal(value("2E-3"), 0.002);
    assert.equal(value("1e+2"), 100);
  });

  test("single decimal comma (not followed by exactly three digits)", () => {
    assert.equal(value("1,5"), 1.5);
    assert.equal(value("0,25"), 0.25);
    assert.equal(value("3,14159"), 3.14159);
    assert.equal(value("-1,5"), -1.5);
  });

  test("spaces and thin spaces as thousands separators", () => {
    assert.equal(value("1 500"), 1500);
    assert.equal(value("1\u2009500"), 1500); // thin space
    assert.equal(value("1\u202f500"), 1500); // narrow no-break space
    assert.equal(value("1\u00a0500"), 1500); // no-break space
    assert.equal(value("12 345 678"), 12345678);
    assert.equal(value("1 500,5"), 1500.5); // spaces group, so the comma is decimal
    assert.equal(value("1 500.5"), 1500.5);
  });

  test("comma with a dot: comma separates thousands", () => {
    assert.equal(value("1,500.5"), 1500.5);
    assert.equal(value("1,234,567.89"), 1234567.89);
  });

  test("several commas and no dot: thousands separators", () => {
    assert.equal(value("1,500,000"), 1500000);
  });

  test("badly grouped thousands are refused", () => {
    error("1 5");
    error("1,50,000");
    error("1,5000.5");
  });

  test("'1,500' is ambiguous and the hint says to write 1500 or 1.5", () => {
    const hint = error("1,500");
    assert.match(hint, /1500/);
    assert.match(hint, /\b1\.5\b/);
    assert.match(hint, /ambiguous/i);
    const hint2 = error("12,345");
    assert.match(hint2, /12345/);
    assert.match(hint2, /12\.345/);
    error("-1,500");
  });

  test("a comma that cannot separate thousands is decimal", () => {
    assert.equal(value("0,500"), 0.5);
    assert.equal(value("1,5000"), 1.5);
  });

  test("trailing unit equal to the question's unit is stripped, any case, any spacing", () => {
    assert.equal(value("1.5 GB", "GB"), 1.5);
    assert.equal(value("1.5GB", "GB"), 1.5);
    assert.equal(value("1.5gb", "GB"), 1.5);
    assert.equal(value("1.5 Gb", "GB"), 1.5);
    assert.equal(value("80 %", "%"), 80);
    assert.equal(value("80%", "%"), 80);
    assert.equal(value("250 ms", "ms"), 250);
    assert.equal(value("1,5 GB", "GB"), 1.5);
    assert.equal(value("1.5", "GB"), 1.5); // the unit is optional
  });

  test("a different trailing unit gives a hint naming the expected unit", () => {
    const hint = error("1.5 MB", "GB");
    assert.equal(hint, "Answer in GB: type just the number, e.g. 1.5");
    assert.match(error("1.5MB", "GB"), /Answer in GB/);
    assert.match(error("80 percent", "%"), /Answer in %/);
    // "ms" is not "s" followed by nothing: a letter right before the unit means another unit
    assert.match(error("80 ms", "s"), /Answer in s:/);
  });

  test("any letters when the unit is empty give a no-unit hint", () => {
    const hint = error("1.5 GB", "");
    assert.match(hint, /type just the number/i);
    assert.match(hint, /1\.5/);
    assert.match(error("80%", ""), /type just the number/i);
  });

  test("empty input", () => {
    assert.equal(error(""), "Type a number first.");
    assert.equal(error("   "), "Type a number first.");
    assert.equal(error(undefined), "Type a number first.");
    assert.equal(error("", "GB"), "Type a number first.");
  });

  test("anything else unparseable gives a hint with an example", () => {
    for (const text of ["abc", "1..5", "1.", "--2", "1.2.3,4", "GB", "1e400", "1.5e", "one"]) {
      const unit = text === "GB" ? "GB" : "";
      assert.match(error(text, unit), /e\.g\. 1\.5/, text);
    }
  });

  test("never throws on odd input", () => {
    for (const text of [null, 12, "∞", "NaN", "Infinity", "0x10", "1/2", "½"]) {
      const r = parseNumber(text, "");
      assert.ok("value" in r || "error" in r);
    }
    assert.equal(parseNumber(12, "").value, 12);
    assert.ok("error" in parseNumber("0x10", ""));
    assert.ok("error" in parseNumber("Infinity", ""));
  });
});

const single = {
  id: "s",
  type: "single",
  prompt_html: "<p>Pick one</p>",
  options: [
    { text_html: "<p>A</p>", correct: false, feedback_html: "<p>A is wrong because…</p>" },
    { text_html: "<p>B</p>", correct: true, feedback_html: "<p>B is right.</p>" },
    { text_html: "<p>C</p>", correct: false, feedback_html: "" },
  ],
  explanation_html: "<p>Because.</p>",
};

const multiple = {
  id: "m",
  type: "multiple",
  prompt_html: "<p>Pick all</p>",
  options: [
    { text_html: "<p>A</p>", correct: true, feedback_html: "<p>fa</p>" },
    { text_html: "<p>B</p>", correct: false, feedback_html: "<p>fb</p>" },
    { text_html: "<p>C</p>", correct: true, feedback_html: "<p>fc</p>" },
    { text_html: "<p>D</p>", correct: false, feedback_html: "<p>fd</p>" },
  ],
  explanation_html: "",
};

const numeric = {
  id: "n",
  type: "numeric",
  prompt_html: "<p>How much?</p>",
  answer: 0.8,
  tolerance: 0.01,
  unit: "",
  common_mistakes: [{ value: 80, feedback_html: "<p>You gave a percentage.</p>" }],
  explanation_html: "<p>0.8 because…</p>",
};

describe("checkAnswer: single", () => {
  test("right option", () => {
    const r = checkAnswer(single, 1);
    assert.equal(r.correct, true);
    assert.deepEqual(r.feedback_html, ["<p>B is right.</p>"]);
  });

  test("wrong option shows that option's feedback", () => {
    const r = checkAnswer(single, 0);
    assert.equal(r.correct, false);
    assert.deepEqual(r.feedback_html, ["<p>A is wrong because…</p>"]);
  });

  test("wrong option with empty feedback", () => {
    const r = checkAnswer(single, 2);
    assert.equal(r.correct, false);
    assert.deepEqual(r.feedback_html, []);
  });

  test("out-of-range or non-integer answers are wrong", () => {
    for (const a of [-1, 3, 1.5, "1", null, undefined, [1]]) assert.equal(checkAnswer(single, a).correct, false, String(a));
  });

  test("the explanation is left to the renderer", () => {
    assert.ok(!checkAnswer(single, 1).feedback_html.includes(single.explanation_html));
  });
});

describe("checkAnswer: multiple", () => {
  test("exact set is correct, in any order", () => {
    const r = checkAnswer(multiple, [2, 0]);
    assert.equal(r.correct, true);
    assert.deepEqual(r.feedback_html, ["<p>fa</p>", "<p>fc</p>"]);
    assert.deepEqual(r.missed, []);
  });

  test("subset is wrong and reports the missed correct options", () => {
    const r = checkAnswer(multiple, [0]);
    assert.equal(r.correct, false);
    assert.deepEqual(r.feedback_html, ["<p>fa</p>"]);
    assert.deepEqual(r.missed, [2]);
  });

  test("superset is wrong and shows every chosen option's feedback", () => {
    const r = checkAnswer(multiple, [0, 1, 2]);
    assert.equal(r.correct, false);
    assert.deepEqual(r.feedback_html, ["<p>fa</p>", "<p>fb</p>", "<p>fc</p>"]);
    assert.deepEqual(r.missed, []);
  });

  test("disjoint choice: wrong, with feedback and both misses", () => {
    const r = checkAnswer(multiple, [3]);
    assert.equal(r.correct, false);
    assert.deepEqual(r.feedback_html, ["<p>fd</p>"]);
    assert.deepEqual(r.missed, [0, 2]);
  });

  test("empty or invalid selections are wrong", () => {
    assert.equal(checkAnswer(multiple, []).correct, false);
    assert.deepEqual(checkAnswer(multiple, []).missed, [0, 2]);
    assert.equal(checkAnswer(multiple, [0, 2, 9]).correct, false);
    assert.equal(checkAnswer(multiple, 0).correct, false);
  });

  test("duplicate indices count once", () => {
    assert.equal(checkAnswer(multiple, [0, 2, 2]).correct, true);
  });
});

describe("checkAnswer: numeric", () => {
  test("exact and within tolerance", () => {
    assert.equal(checkAnswer(numeric, 0.8).correct, true);
    assert.equal(checkAnswer(numeric, 0.805).correct, true);
    assert.equal(checkAnswer(numeric, 0.79).correct, true); // on the edge: float noise absorbed
    assert.equal(checkAnswer(numeric, 0.81).correct, true);
    assert.deepEqual(checkAnswer(numeric, 0.8).feedback_html, []);
  });

  test("outside tolerance: generic hint that does not reveal the answer", () => {
    const r = checkAnswer(numeric, 0.82);
    assert.equal(r.correct, false);
    assert.equal(r.feedback_html.length, 1);
    assert.match(r.feedback_html[0], /check your working/i);
    assert.ok(!r.feedback_html[0].includes("0.8"));
  });

  test("a common mistake gets its targeted feedback (same tolerance)", () => {
    for (const a of [80, 80.005]) {
      const r = checkAnswer(numeric, a);
      assert.equal(r.correct, false);
      assert.deepEqual(r.feedback_html, ["<p>You gave a percentage.</p>"]);
    }
    assert.match(checkAnswer(numeric, 80.5).feedback_html[0], /check your working/i);
  });

  test("zero tolerance still absorbs float noise", () => {
    const q = { ...numeric, answer: 0.3, tolerance: 0, common_mistakes: [] };
    assert.equal(checkAnswer(q, 0.1 + 0.2).correct, true);
    assert.equal(checkAnswer(q, 0.3001).correct, false);
    const big = { ...q, answer: 1e12 };
    assert.equal(checkAnswer(big, 1e12 + 1).correct, true); // relative epsilon
  });

  test("non-numbers are wrong", () => {
    for (const a of [NaN, Infinity, "0.8", null, undefined]) assert.equal(checkAnswer(numeric, a).correct, false, String(a));
  });

  test("the answer is correct even if a common mistake is within tolerance too", () => {
    const q = { ...numeric, common_mistakes: [{ value: 0.805, feedback_html: "<p>x</p>" }] };
    assert.equal(checkAnswer(q, 0.8).correct, true);
  });
});

describe("checkAnswer: unknown type", () => {
  test("is never correct", () => {
    assert.equal(checkAnswer({ type: "essay" }, 1).correct, false);
    assert.equal(checkAnswer(null, 1).correct, false);
  });
});

describe("shown positions and recorded (bank) indices", () => {
  // shown order: bank options 2, 0, 1 (the key is bank option 0, shown second)
  const single = { type: "single", options: [{ index: 2, correct: false }, { index: 0, correct: true }, { index: 1, correct: false }] };
  const multiple = { type: "multiple", options: [{ index: 1 }, { index: 3 }, { index: 0 }, { index: 2 }] };

  test("a single answer is recorded as the option's bank index, and restored to where it is shown", () => {
    assert.equal(toBankAnswer(single, 1), 0);
    assert.equal(toBankAnswer(single, 0), 2);
    assert.equal(toShownAnswer(single, 0), 1);
    assert.equal(toShownAnswer(single, toBankAnswer(single, 2)), 2);
  });

  test("a multiple answer is recorded as sorted bank indices", () => {
    assert.deepEqual(toBankAnswer(multiple, [2, 0]), [0, 1]);
    assert.deepEqual(toShownAnswer(multiple, [0, 1]), [2, 0]);
  });

  test("checking the shown position and recording the bank index agree with the bank's key", () => {
    const shown = single.options.findIndex((o) => o.correct);
    assert.equal(checkAnswer(single, shown).correct, true);
    assert.equal(toBankAnswer(single, shown), 0);
  });

  test("options without an index (older data) are their own positions", () => {
    const plain = { type: "single", options: [{}, {}, {}] };
    assert.equal(toBankAnswer(plain, 2), 2);
    assert.equal(toShownAnswer(plain, 1), 1);
  });

  test("a recorded index no option has restores as invalid (-1), not as another option", () => {
    assert.equal(toShownAnswer(single, 7), -1);
    assert.deepEqual(toShownAnswer(multiple, [0, 9]), [2, -1]);
  });
});
