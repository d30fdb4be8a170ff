// Render TeX to MathJax CommonHTML for the seglab_math Sphinx extension (see __init__.py).
//
// Usage: node render.js ES5_DIR TEX_CONFIG_JSON
//   ES5_DIR          the es5/ folder of the pinned `mathjax` npm package (its components)
//   TEX_CONFIG_JSON  MathJax's `tex` options (the book's macros, from mathjax3_config)
//
// One JSON request per line on stdin, one JSON answer per line on stdout, in order:
//   {"id": 7, "tex": "\\frac{a}{b}", "display": true}  ->  {"id": 7, "html": "<mjx-container ...",
//                                                          "errors": []}
//   {"id": 8, "stylesheet": true}                       ->  {"id": 8, "css": "..."}
// The formulas are converted exactly as MathJax 3 converts them in a browser (same TeX input
// jax and packages as tex-mml-chtml.js, CommonHTML output, assistive MathML for screen
// readers), but once, when the book is built. The stylesheet is the full one (every character
// of the MathJax TeX fonts, every element), so that it can be shared by all pages; its fonts
// are looked up in the folder `woff-v2` next to it.
"use strict";

const path = require("path");
const readline = require("readline");

const es5 = path.resolve(process.argv[2]);
const errors = [];

global.MathJax = {
  loader: {
    paths: {mathjax: es5},
    source: {},
    require: require,
    load: ["input/tex", "output/chtml", "adaptors/liteDOM", "a11y/assistive-mml"],
  },
  tex: {
    ...JSON.parse(process.argv[3] || "{}"),
    formatError(jax, error) {
      errors.push(error.message);
      return jax.formatError(error);
    },
  },
  chtml: {fontURL: "woff-v2", adaptiveCSS: false},
  startup: {typeset: false},
};
require(path.join(es5, "startup.js"));

// Undefined macros are shown in red by the noundefined package rather than raising an error.
const UNDEFINED = /<mtext mathcolor="red">(\\[^<]*)<\/mtext>/g;

async function answer(request) {
  const adaptor = MathJax.startup.adaptor;
  if (request.stylesheet) {
    return {id: request.id, css: adaptor.textContent(MathJax.chtmlStylesheet())};
  }
  errors.length = 0;
  // The promise form loads the TeX extensions that \require or autoload ask for.
  const node = await MathJax.tex2chtmlPromise(request.tex, {display: request.display});
  const html = adaptor.outerHTML(node);
  const found = errors.slice();
  for (const match of html.matchAll(UNDEFINED)) {
    found.push(`Undefined control sequence ${match[1]}`);
  }
  if (html.includes("data-mjx-error") && found.length === 0) found.push("TeX error");
  return {id: request.id, html: html, errors: found};
}

MathJax.startup.promise.then(() => {
  const lines = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
  let queue = Promise.resolve();
  lines.on("line", (line) => {
    if (!line.trim()) return;
    const request = JSON.parse(line);
    queue = queue
      .then(() => answer(request))
      .catch((error) => ({id: request.id, html: "", errors: [String(error && error.message)]}))
      .then((reply) => process.stdout.write(JSON.stringify(reply) + "\n"));
  });
}).catch((error) => {
  process.stderr.write(`MathJax failed to start: ${error && error.stack}\n`);
  process.exit(1);
});
