// Print the path that recommendPath (quiz.js) gives for real data, as JSON, for the browser test to compare
// with what the page shows: node tests/js/recommend.mjs INPUT.json, INPUT = {placement, questions, responses}.
import { readFileSync } from "node:fs";

import { recommendPath } from "../../coursekit/quizzes/assets/quiz.js";

const { placement, questions, responses } = JSON.parse(readFileSync(process.argv[2], "utf-8"));
console.log(JSON.stringify(recommendPath(placement, questions, responses)));
