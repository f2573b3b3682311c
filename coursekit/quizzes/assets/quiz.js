// coursekit quiz renderer: the ONE renderer and checker for the course's quizzes.
//
// Used two ways (the data each gets is built by coursekit/quizzes/payload.py):
//   * as an anywidget front end: `export default { render }`, render({ model, el });
//   * in the static book, through quiz-static.js, with a tiny in-page model.
//
// Plain ES module, no dependencies, no network. Nothing here touches `document`
// at module top level, so node can import it to test parseNumber/checkAnswer.
//
// The *_html strings in the data were rendered from Markdown and sanitised by
// Python; they are inserted with innerHTML. Everything else is built with DOM
// APIs and textContent, never by concatenating strings into HTML.

const EXAMPLE = "1.5";
const SPACES = " \u00a0\u2009\u202f"; // space, no-break space, thin space, narrow no-break space
const SPACE_RE = /[ \u00a0\u2009\u202f]/;
const GENERIC_HINT_HTML = "<p>Check your working and try again.</p>";

// ---------------------------------------------------------------------------
// parseNumber
// ---------------------------------------------------------------------------

function countChar(s, ch) {
  let n = 0;
  for (const c of s) if (c === ch) n += 1;
  return n;
}

// Integer part with thousands separators `sep` (a single char, or SPACE_RE):
// first group 1-3 digits, every later group exactly 3. Returns the digits or null.
function ungroup(intPart, sep) {
  const groups = intPart.split(sep);
  if (groups.length === 1) return /^[0-9]*$/.test(intPart) ? intPart : null;
  if (!/^[0-9]{1,3}$/.test(groups[0])) return null;
  for (const g of groups.slice(1)) if (!/^[0-9]{3}$/.test(g)) return null;
  return groups.join("");
}

// The mantissa (digits with optional `.`, `,` and space separators between digits).
// Returns {int, frac}, {ambiguous: {int, frac}} or null.
function splitMantissa(m) {
  const hasSpace = SPACE_RE.test(m);
  const commas = countChar(m, ",");
  const dots = countChar(m, ".");
  let intPart = m;
  let frac = "";
  let thousands = null; // the separator used between groups of the integer part

  if (commas && dots) {
    // Both: the last one is the decimal mark, the other separates thousands.
    const dec = m.lastIndexOf(".") > m.lastIndexOf(",") ? "." : ",";
    thousands = dec === "." ? "," : ".";
    if (hasSpace || countChar(m, dec) !== 1) return null;
    [intPart, frac] = m.split(dec);
  } else if (commas === 1) {
    [intPart, frac] = m.split(",");
    // "1,500": one thousand five hundred, or one and a half? Only ambiguous when the
    // thousands reading is possible (1-3 leading digits, not starting with 0, no spaces).
    if (frac.length === 3 && !hasSpace && /^[1-9][0-9]{0,2}$/.test(intPart)) {
      return { ambiguous: { int: intPart, frac } };
    }
  } else if (commas > 1) {
    thousands = ","; // 1,500,000
  } else if (dots === 1) {
    [intPart, frac] = m.split(".");
  } else if (dots > 1) {
    thousands = "."; // 1.500.000
  }

  if (SPACE_RE.test(frac) || /[.,]/.test(frac)) return null;
  let digits;
  if (hasSpace) {
    if (thousands) return null; // mixed separators
    digits = ungroup(intPart, SPACE_RE);
  } else if (thousands) {
    digits = ungroup(intPart, thousands);
  } else {
    digits = /^[0-9]*$/.test(intPart) ? intPart : null;
  }
  if (digits === null || (digits === "" && frac === "")) return null;
  return { int: digits, frac };
}

function toNumber(sign, int, frac, exp) {
  const value = Number(`${sign}${int || "0"}${frac ? "." + frac : ""}${exp}`);
  return Number.isFinite(value) ? value : null;
}

/**
 * Read what a learner typed into a numeric answer box.
 * @param {string} text  the raw input
 * @param {string} unit  the question's unit ("" for none); a trailing copy of it is accepted
 * @returns {{value: number} | {error: string}}  error is a hint for the learner
 */
export function parseNumber(text, unit = "") {
  const u = String(unit ?? "").trim();
  let s = String(text ?? "").trim();
  if (!s) return { error: "Type a number first." };

  // A trailing copy of the expected unit, any case, with or without a space.
  if (u && s.length > u.length && s.slice(-u.length).toLowerCase() === u.toLowerCase()) {
    const before = s.slice(0, -u.length);
    // "80 ms" must not be read as "80 m" + "s": a unit starting with a letter
    // needs a non-letter right before it.
    if (!(/^\p{L}/u.test(u) && /\p{L}$/u.test(before))) s = before.trim();
  }

  s = s.replace(/^[\u2212\u2013]/, "-").replace(/^([+-])\s+/, "$1");
  const match = /^([+-]?)((?:[0-9]|[.,](?=[0-9])|[ \u00a0\u2009\u202f](?=[0-9]))+)((?:[eE][+-]?[0-9]+)?)(.*)$/u.exec(s);
  if (!match) return { error: genericHint(u) };
  const [, sign, mantissa, exp, restRaw] = match;
  const rest = restRaw.trim();

  if (rest) {
    // A number followed by some other unit ("1.5 MB" when the unit is GB).
    if (!/^[eE][+-]?$/.test(rest) && /^[\p{L}%‰°µ$€£¥'"\/]/u.test(rest)) {
      return {
        error: u
          ? `Answer in ${u}: type just the number, e.g. ${EXAMPLE}`
          : `No unit needed: type just the number, e.g. ${EXAMPLE}`,
      };
    }
    return { error: genericHint(u) };
  }

  const parts = splitMantissa(mantissa);
  if (parts === null) return { error: genericHint(u) };
  if (parts.ambiguous) {
    const { int, frac } = parts.ambiguous;
    const neg = sign === "-" ? "-" : "";
    const asThousands = String(toNumber(neg, int + frac, "", exp));
    const asDecimal = String(toNumber(neg, int, frac, exp));
    return {
      error:
        `"${s}" is ambiguous: write ${asThousands} if the comma separates thousands, ` +
        `or ${asDecimal} if it is a decimal comma.`,
    };
  }
  const value = toNumber(sign, parts.int, parts.frac, exp);
  if (value === null) return { error: genericHint(u) };
  return { value };
}

function genericHint(u) {
  return u
    ? `Type a number (in ${u}), e.g. ${EXAMPLE} or -2.`
    : `Type a number, e.g. ${EXAMPLE} or -2.`;
}

// ---------------------------------------------------------------------------
// checkAnswer
// ---------------------------------------------------------------------------

function isIndex(i, n) {
  return Number.isInteger(i) && i >= 0 && i < n;
}

function nonEmpty(list) {
  return list.filter((h) => typeof h === "string" && h.trim() !== "");
}

function withinTolerance(value, target, tolerance) {
  const tol = Number.isFinite(tolerance) && tolerance > 0 ? tolerance : 0;
  const eps = 1e-9 * Math.max(1, Math.abs(target));
  return Math.abs(value - target) <= tol + eps;
}

/**
 * Check one answer. Pure.
 * @param {object} question  a question from the contract's data
 * @param {number | number[]} answer  single: option index; multiple: indices; numeric: number
 * @returns {{correct: boolean, feedback_html: string[], missed: number[]}}
 *   feedback_html: sanitised HTML strings to show (chosen options' feedback, a common
 *   mistake's feedback, or a generic hint). missed (multiple only): indices of correct
 *   options that were not chosen; the renderer shows them as "You missed: ..." lines.
 *   The question's explanation_html is not included: the renderer adds it.
 */
export function checkAnswer(question, answer) {
  const q = question || {};
  const options = Array.isArray(q.options) ? q.options : [];
  const n = options.length;

  if (q.type === "single") {
    if (!isIndex(answer, n)) return { correct: false, feedback_html: [], missed: [] };
    const opt = options[answer] || {};
    return { correct: opt.correct === true, feedback_html: nonEmpty([opt.feedback_html]), missed: [] };
  }

  if (q.type === "multiple") {
    const chosen = Array.isArray(answer) ? answer : [];
    if (!chosen.every((i) => isIndex(i, n))) return { correct: false, feedback_html: [], missed: [] };
    const set = new Set(chosen);
    const sorted = [...set].sort((a, b) => a - b);
    const correctIdx = options.map((o, i) => (o && o.correct === true ? i : -1)).filter((i) => i >= 0);
    const missed = correctIdx.filter((i) => !set.has(i));
    const extra = sorted.filter((i) => !(options[i] && options[i].correct === true));
    return {
      correct: missed.length === 0 && extra.length === 0 && correctIdx.length > 0,
      feedback_html: nonEmpty(sorted.map((i) => options[i].feedback_html)),
      missed,
    };
  }

  if (q.type === "numeric") {
    const target = Number(q.answer);
    const tolerance = Number(q.tolerance ?? 0);
    if (typeof answer !== "number" || !Number.isFinite(answer) || !Number.isFinite(target)) {
      return { correct: false, feedback_html: [GENERIC_HINT_HTML], missed: [] };
    }
    if (withinTolerance(answer, target, tolerance)) return { correct: true, feedback_html: [], missed: [] };
    const mistakes = Array.isArray(q.common_mistakes) ? q.common_mistakes : [];
    const hit = mistakes.find((m) => m && Number.isFinite(Number(m.value)) && withinTolerance(answer, Number(m.value), tolerance));
    const fb = hit ? nonEmpty([hit.feedback_html]) : [];
    return { correct: false, feedback_html: fb.length ? fb : [GENERIC_HINT_HTML], missed: [] };
  }

  return { correct: false, feedback_html: [], missed: [] };
}

// ---------------------------------------------------------------------------
// Shown positions vs bank indices
// ---------------------------------------------------------------------------
//
// Options arrive in the order they are shown (a fair, deterministic shuffle made in Python); each
// carries `index`, its place in the bank. checkAnswer works on shown positions; what is recorded in
// `responses` (and so in progress and in the kernel) is bank indices, which keep their meaning
// whatever the order on screen.

function bankIndexOf(options, position) {
  const opt = options[position];
  return opt && Number.isInteger(opt.index) ? opt.index : position;
}

/** The recorded form of an answer given as shown positions (single: a number; multiple: a sorted list). Pure. */
export function toBankAnswer(question, shown) {
  const options = Array.isArray(question && question.options) ? question.options : [];
  if (Array.isArray(shown)) return shown.map((p) => bankIndexOf(options, p)).sort((a, b) => a - b);
  if (question && question.type === "single" && isIndex(shown, options.length)) return bankIndexOf(options, shown);
  return shown;
}

/** Shown positions of a recorded answer (bank indices); an index no option has is kept as -1 (invalid). Pure. */
export function toShownAnswer(question, recorded) {
  const options = Array.isArray(question && question.options) ? question.options : [];
  const position = (i) => options.findIndex((o, k) => (o && Number.isInteger(o.index) ? o.index : k) === i);
  if (Array.isArray(recorded)) return recorded.map(position);
  if (question && question.type === "single" && Number.isInteger(recorded)) return position(recorded);
  return recorded;
}

// ---------------------------------------------------------------------------
// recommendPath: the placement check's rules (the ONE copy, for the book and JupyterLab)
// ---------------------------------------------------------------------------
//
// placement = {skim_percent, chapters: [{number, title, minutes, prerequisites, objectives}]}
// (from path.yml and the banks, in course order; objectives: the ones the check asks about),
// questions = the placement bank's questions (each names an objective), responses = {qid: {correct}}.
//
// Chapters are decided in course order, so every prerequisite is decided first:
//   * a question on one of its objectives missed or not answered yet  -> study;
//   * all its questions right, no prerequisite marked study            -> skip;
//   * all its questions right, a prerequisite marked study             -> skim;
//   * no question on it: a prerequisite marked study -> study, else    -> skim.

export const STATUSES = ["study", "skim", "skip"];

/** Minutes a chapter counts in a path: all of them to study, skim_percent of them to skim, none to skip. */
export function plannedMinutes(minutes, status, skimPercent) {
  const m = Number(minutes) || 0;
  if (status === "study") return m;
  if (status === "skim") return Math.round((m * (Number(skimPercent) || 0)) / 100);
  return 0;
}

/** "45 min" or "9 h 05 min". */
export function formatMinutes(total) {
  const h = Math.floor(total / 60);
  const m = total % 60;
  return h ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min`;
}

/**
 * The recommended path. Pure.
 * @returns {{chapters: {number, title, minutes, status, reasons}[], answered: number, total: number, minutes: number}}
 *   reasons: [{kind: "missed"|"unanswered"|"shown", objective, text} | {kind: "prerequisite", chapters} | {kind: "no-question"}]
 */
export function recommendPath(placement, questions, responses) {
  const chapters = Array.isArray(placement && placement.chapters) ? placement.chapters : [];
  const qs = Array.isArray(questions) ? questions : [];
  const answers = responses && typeof responses === "object" ? responses : {};
  const owner = new Map(); // objective -> chapter number
  for (const c of chapters) for (const o of Object.keys(c.objectives || {})) owner.set(o, c.number);
  const asked = new Map(); // chapter number -> its questions
  for (const q of qs) {
    const n = owner.get(q.objective);
    if (n !== undefined) asked.set(n, [...(asked.get(n) || []), q]);
  }
  const status = new Map();
  const out = [];
  for (const c of chapters) {
    const text = (q) => (c.objectives || {})[q.objective] || "";
    const mine = asked.get(c.number) || [];
    const missed = mine.filter((q) => answers[q.id] && answers[q.id].correct === false);
    const unanswered = mine.filter((q) => !answers[q.id] || typeof answers[q.id].correct !== "boolean");
    const shown = mine.filter((q) => answers[q.id] && answers[q.id].correct === true);
    const studyFirst = (c.prerequisites || []).filter((p) => status.get(p) === "study");
    const because = studyFirst.length ? [{ kind: "prerequisite", chapters: studyFirst }] : [];
    let st;
    let reasons;
    if (missed.length || unanswered.length) {
      st = "study";
      reasons = [
        ...missed.map((q) => ({ kind: "missed", objective: q.objective, text: text(q) })),
        ...unanswered.map((q) => ({ kind: "unanswered", objective: q.objective, text: text(q) })),
      ];
    } else if (mine.length) {
      st = studyFirst.length ? "skim" : "skip";
      reasons = [...shown.map((q) => ({ kind: "shown", objective: q.objective, text: text(q) })), ...because];
    } else {
      st = studyFirst.length ? "study" : "skim";
      reasons = [{ kind: "no-question" }, ...because];
    }
    status.set(c.number, st);
    out.push({ number: c.number, title: c.title, minutes: Number(c.minutes) || 0, status: st, reasons });
  }
  const answered = qs.filter((q) => answers[q.id] && typeof answers[q.id].correct === "boolean").length;
  const minutes = out.reduce((sum, c) => sum + plannedMinutes(c.minutes, c.status, placement && placement.skim_percent), 0);
  return { chapters: out, answered, total: qs.length, minutes };
}

/** One reason as a sentence. */
export function reasonText(reason) {
  const r = reason || {};
  const list = (xs) => (xs.length > 1 ? `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}` : xs[0] || "");
  if (r.kind === "missed") return `Missed ${r.objective}: ${r.text}`;
  if (r.kind === "unanswered") return `Not answered yet: ${r.objective}: ${r.text}`;
  if (r.kind === "shown") return `Showed ${r.objective}: ${r.text}`;
  if (r.kind === "prerequisite") {
    const cs = Array.isArray(r.chapters) ? r.chapters : [];
    return `Builds on chapter${cs.length > 1 ? "s" : ""} ${list(cs)}, marked study.`;
  }
  if (r.kind === "no-question") return "No question of the check covers this chapter.";
  return "";
}

// ---------------------------------------------------------------------------
// render
// ---------------------------------------------------------------------------

let idCounter = 0; // ids unique in the page, however many times a quiz is rendered

function nextId(prefix) {
  idCounter += 1;
  return `ck-${prefix}-${idCounter}`;
}

function h(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "className") node.className = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

function htmlBlock(tag, className, html) {
  const node = h(tag, { className });
  node.innerHTML = html; // sanitised by Python (see the contract)
  return node;
}

function responsesOf(model) {
  const r = model.get("responses");
  return r && typeof r === "object" && !Array.isArray(r) ? r : {};
}

function render({ model, el }) {
  const title = model.get("title") || "Quiz";
  const questions = Array.isArray(model.get("questions")) ? model.get("questions") : [];
  const results = new Map(); // qid -> correct (latest check of a question in this quiz)

  const root = h("div", { className: "ck-quiz-ui" });
  root.appendChild(h("h3", { className: "ck-quiz-title" }, title));
  const list = h("div", { className: "ck-questions" });
  root.appendChild(list);
  const score = h("p", { className: "ck-score" });
  root.appendChild(score);

  function updateScore() {
    let right = 0;
    for (const q of questions) if (results.get(q.id) === true) right += 1;
    score.textContent = `Score: ${right} / ${questions.length} answered correctly`;
  }

  // The placement check (chapter 00) also shows the path its answers recommend.
  const placement = model.get("placement");
  const planView =
    placement && Array.isArray(placement.chapters) && placement.chapters.length ? buildPlan(placement, questions) : null;
  if (planView) root.appendChild(planView.node);

  function record(qid, answer, correct) {
    results.set(qid, correct);
    model.set("responses", { ...responsesOf(model), [qid]: { answer, correct } });
    if (planView) model.set("plan", planView.update(responsesOf(model)));
    model.save_changes();
    updateScore();
  }

  const saved = responsesOf(model);
  questions.forEach((q, qi) => {
    const item = buildQuestion(q, qi, questions.length, record);
    list.appendChild(item.node);
    const prev = saved[q.id];
    if (prev && typeof prev === "object" && "answer" in prev) {
      const restored = item.restore(prev.answer);
      if (restored) results.set(q.id, restored.correct);
    }
  });
  updateScore();
  if (planView) planView.update(saved);

  el.appendChild(root);
  return () => root.remove();
}

function buildPlan(placement, questions) {
  const skim = Number(placement.skim_percent) || 0;
  const headingId = nextId("plan");
  const node = h("section", { className: "ck-plan", "aria-labelledby": headingId });
  node.appendChild(h("h4", { className: "ck-plan-title", id: headingId }, "Your path"));
  const note = h("p", { className: "ck-plan-note" });
  node.appendChild(note);
  const table = h("table", { className: "ck-plan-table" });
  const headRow = h("tr");
  for (const label of ["Chapter, and why", "Plan", "Time"]) headRow.appendChild(h("th", { scope: "col" }, label));
  table.appendChild(h("thead")).appendChild(headRow);
  const tbody = table.appendChild(h("tbody"));
  node.appendChild(table);
  const total = h("p", { className: "ck-plan-total", role: "status" });
  node.appendChild(total);
  let rows = [];

  function showTotal() {
    let chosen = 0;
    let everything = 0;
    for (const row of rows) {
      const planned = plannedMinutes(row.minutes, row.select.value, skim);
      row.tr.dataset.chosen = row.select.value;
      row.time.textContent = formatMinutes(planned);
      chosen += planned;
      everything += row.minutes;
    }
    total.textContent =
      `Your path: ${formatMinutes(chosen)} (every chapter in full: ${formatMinutes(everything)}). ` +
      `A skimmed chapter counts ${skim} % of its time, a skipped one none.`;
  }

  function update(responses) {
    const rec = recommendPath(placement, questions, responses);
    rows = [];
    tbody.replaceChildren();
    table.hidden = rec.answered === 0;
    if (rec.answered === 0) {
      note.textContent = "Answer the questions above to see the path they recommend.";
      total.textContent = "";
    } else {
      note.textContent =
        `From ${rec.answered} of ${rec.total} answers (a question not answered yet counts as not shown). ` +
        "Change any plan to see the time of your own path.";
      for (const c of rec.chapters) {
        const tr = h("tr", { className: `ck-plan-${c.status}` });
        tr.dataset.chapter = c.number;
        tr.dataset.recommended = c.status;
        const head = h("th", { scope: "row" });
        head.appendChild(h("span", { className: "ck-plan-num" }, c.number));
        head.appendChild(document.createTextNode(` ${c.title}`));
        const why = h("ul", { className: "ck-plan-reasons" });
        for (const r of c.reasons) why.appendChild(h("li", {}, reasonText(r)));
        head.appendChild(why);
        tr.appendChild(head);
        const select = h("select", { className: "ck-plan-choice", "aria-label": `Plan for chapter ${c.number}` });
        for (const st of STATUSES) {
          const opt = h("option", { value: st }, st === c.status ? `${st} (recommended)` : st);
          if (st === c.status) opt.selected = true;
          select.appendChild(opt);
        }
        select.addEventListener("change", showTotal);
        tr.appendChild(h("td")).appendChild(select);
        const time = tr.appendChild(h("td", { className: "ck-plan-time" }));
        tbody.appendChild(tr);
        rows.push({ tr, select, time, minutes: c.minutes });
      }
      showTotal();
    }
    return Object.fromEntries(rec.chapters.map((c) => [c.number, c.status]));
  }

  return { node, update };
}

function buildQuestion(q, qi, total, record) {
  const promptId = nextId("prompt");
  const group = h("div", { className: "ck-question", role: "group", "aria-labelledby": promptId });
  group.dataset.qid = q.id ?? "";
  group.appendChild(h("p", { className: "ck-qnum" }, `Question ${qi + 1} of ${total}`));
  const prompt = htmlBlock("div", "ck-prompt", q.prompt_html || "");
  prompt.id = promptId;
  group.appendChild(prompt);

  const answerBox = h("div", { className: "ck-answer" });
  group.appendChild(answerBox);
  const actions = h("div", { className: "ck-actions" });
  const button = h("button", { type: "button", className: "ck-check" }, "Check");
  actions.appendChild(button);
  group.appendChild(actions);
  const feedback = h("div", { className: "ck-feedback", role: "status", "aria-live": "polite" });
  group.appendChild(feedback);

  function showHint(message) {
    feedback.replaceChildren();
    feedback.className = "ck-feedback ck-is-hint";
    const p = h("p", { className: "ck-hint" });
    p.appendChild(h("span", { className: "ck-icon", "aria-hidden": "true" }, "!"));
    p.appendChild(document.createTextNode(message));
    feedback.appendChild(p);
  }

  function showResult(result) {
    feedback.replaceChildren();
    feedback.className = `ck-feedback ${result.correct ? "ck-is-correct" : "ck-is-incorrect"}`;
    const verdict = h("p", { className: "ck-verdict" });
    verdict.appendChild(h("span", { className: "ck-icon", "aria-hidden": "true" }, result.correct ? "✓" : "✗"));
    verdict.appendChild(h("strong", {}, result.correct ? "Correct." : "Not quite."));
    feedback.appendChild(verdict);
    for (const html of result.feedback_html) feedback.appendChild(htmlBlock("div", "ck-feedback-item", html));
    for (const i of result.missed || []) {
      const line = h("div", { className: "ck-missed" });
      line.appendChild(h("span", { className: "ck-missed-label" }, "You missed: "));
      line.appendChild(htmlBlock("span", "ck-missed-text", (q.options[i] && q.options[i].text_html) || ""));
      feedback.appendChild(line);
    }
    if (q.explanation_html) feedback.appendChild(htmlBlock("div", "ck-explanation", q.explanation_html));
  }

  let read; // () => {answer} | {error}
  let fill; // (answer) => void, for restoring a saved answer

  if (q.type === "single" || q.type === "multiple") {
    const multiple = q.type === "multiple";
    const name = nextId("q");
    const inputs = [];
    const options = Array.isArray(q.options) ? q.options : [];
    const ul = h("ul", { className: "ck-options" });
    options.forEach((opt, oi) => {
      const inputId = nextId("opt");
      const li = h("li");
      const label = h("label", { className: "ck-option", for: inputId });
      const input = h("input", { type: multiple ? "checkbox" : "radio", id: inputId, name, value: String(oi) });
      inputs.push(input);
      label.appendChild(input);
      label.appendChild(htmlBlock("span", "ck-option-text", opt.text_html || ""));
      li.appendChild(label);
      ul.appendChild(li);
    });
    answerBox.appendChild(ul);
    if (multiple) answerBox.insertBefore(h("p", { className: "ck-instruction" }, "Select all that apply."), ul);

    read = () => {
      const chosen = inputs.filter((i) => i.checked).map((i) => Number(i.value));
      if (!chosen.length) return { error: multiple ? "Choose at least one option first." : "Choose an option first." };
      return { answer: multiple ? chosen : chosen[0] };
    };
    fill = (answer) => {
      const want = new Set(multiple ? (Array.isArray(answer) ? answer : []) : [answer]);
      inputs.forEach((input, i) => (input.checked = want.has(i)));
    };
  } else if (q.type === "numeric") {
    const unit = String(q.unit ?? "").trim();
    const inputId = nextId("num");
    const labelId = nextId("numlabel");
    const unitId = unit ? nextId("unit") : null;
    const row = h("div", { className: "ck-numeric" });
    row.appendChild(h("label", { className: "ck-numeric-label", for: inputId, id: labelId }, "Your answer:"));
    const input = h("input", {
      type: "text",
      id: inputId,
      className: "ck-numeric-input",
      inputmode: "decimal",
      autocomplete: "off",
      spellcheck: "false",
      "aria-labelledby": [promptId, labelId, unitId].filter(Boolean).join(" "),
    });
    row.appendChild(input);
    if (unit) row.appendChild(h("span", { className: "ck-unit", id: unitId }, unit));
    answerBox.appendChild(row);

    input.addEventListener("input", () => input.removeAttribute("aria-invalid"));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        check();
      }
    });
    read = () => {
      const parsed = parseNumber(input.value, unit);
      if ("error" in parsed) {
        input.setAttribute("aria-invalid", "true");
        return parsed;
      }
      input.removeAttribute("aria-invalid");
      return { answer: parsed.value };
    };
    fill = (answer) => {
      input.value = typeof answer === "number" && Number.isFinite(answer) ? String(answer) : "";
    };
  } else {
    answerBox.appendChild(h("p", { className: "ck-hint" }, `This question type (${q.type}) is not supported.`));
    button.disabled = true;
    read = () => ({ error: "This question cannot be checked." });
    fill = () => {};
  }

  function check() {
    const got = read();
    if ("error" in got) {
      showHint(got.error);
      return;
    }
    const result = checkAnswer(q, got.answer);
    showResult(result);
    record(q.id, toBankAnswer(q, got.answer), result.correct);
  }
  button.addEventListener("click", check);

  function restore(recorded) {
    const answer = toShownAnswer(q, recorded);
    const valid =
      (q.type === "single" && isIndex(answer, (q.options || []).length)) ||
      (q.type === "multiple" && Array.isArray(answer) && answer.length > 0 && answer.every((i) => isIndex(i, (q.options || []).length))) ||
      (q.type === "numeric" && typeof answer === "number" && Number.isFinite(answer));
    if (!valid) return null;
    fill(answer);
    const result = checkAnswer(q, answer);
    showResult(result);
    return result;
  }

  return { node: group, restore };
}

export default { render };
