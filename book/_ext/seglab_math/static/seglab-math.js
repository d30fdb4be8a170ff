// The reader's side of the formulas rendered when the book was built (book/_ext/seglab_math).
//
// No MathJax runs when a page is read: every formula is already HTML and CSS, with MathML for
// screen readers. This script only
// 1. copies formulas as TeX: a selection holding formulas goes to the clipboard as text with
//    each formula written `$...$` (inline) or `$$...$$` (display), from its data-tex attribute;
// 2. loads MathJax when the reader starts a live kernel (the Thebe "Live Code" button), and
//    typesets the TeX of the live outputs as they arrive. The URL and configuration are the
//    book's (Sphinx's mathjax_path, resolved like Sphinx resolves it, against _static/, and
//    mathjax3_config): same MathJax version and macros as the rendered formulas.
(function () {
  "use strict";
  const script = document.currentScript;

  function delimited(container) {
    const tex = container.getAttribute("data-tex");
    return container.getAttribute("display") === "true" ? `$$${tex}$$` : `$${tex}$`;
  }

  document.addEventListener("copy", (event) => {
    const selection = document.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    const common = range.commonAncestorContainer;
    const element = common.nodeType === Node.ELEMENT_NODE ? common : common.parentElement;
    const inside = element && element.closest("mjx-container[data-tex]");
    let text;
    if (inside) {
      text = delimited(inside);
    } else {
      const fragment = range.cloneContents();
      const formulas = fragment.querySelectorAll("mjx-container[data-tex]");
      if (formulas.length === 0) return;
      formulas.forEach((container) => container.replaceWith(delimited(container)));
      // innerText (line breaks between blocks) needs the fragment laid out, out of sight.
      const holder = document.createElement("div");
      holder.style.cssText = "position: fixed; left: -100000px; top: 0;";
      holder.appendChild(fragment);
      document.body.appendChild(holder);
      text = holder.innerText;
      holder.remove();
    }
    event.clipboardData.setData("text/plain", text);
    event.preventDefault();
  });

  // Live outputs: where Thebe (and sphinx-thebe) put a cell's output.
  const OUTPUTS = ".thebelab-cell, .thebe-cell, .jp-OutputArea, [data-output]";
  const TEX = /\$|\\\(|\\\[|\\begin\{/;
  let loading = null;

  function loadMathJax() {
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const config = JSON.parse(script.dataset.config || "{}");
        config.tex = Object.assign(
          {inlineMath: [["$", "$"], ["\\(", "\\)"]], processEscapes: true}, config.tex);
        config.startup = Object.assign({}, config.startup, {typeset: false});
        window.MathJax = config;
        const tag = document.createElement("script");
        tag.src = new URL(script.dataset.mathjax, script.src).href;
        tag.async = true;
        tag.addEventListener("load", () => window.MathJax.startup.promise.then(resolve, reject));
        tag.addEventListener("error", () => reject(new Error(`cannot load ${tag.src}`)));
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  const pending = new Set();
  let scheduled = false;

  function typeset() {
    scheduled = false;
    // Each formula once: MathJax would typeset an element twice if it were also inside another.
    const connected = Array.from(pending).filter((element) => element.isConnected);
    const elements = connected.filter((element) => !connected.some(
      (other) => other !== element && other.contains(element)));
    pending.clear();
    loadMathJax()
      .then(() => window.MathJax.typesetPromise(elements))
      .catch((error) => console.error("[seglab-math] live output math:", error));
  }

  function added(element) {
    if (!element || !element.closest(OUTPUTS) || element.closest("mjx-container")) return;
    if (!TEX.test(element.textContent)) return;
    pending.add(element);
    if (!scheduled) {
      scheduled = true;
      setTimeout(typeset, 0);
    }
  }

  let live = false;

  function startLive() {
    if (live) return;
    live = true;
    new MutationObserver((records) => {
      for (const record of records) {
        if (record.type === "characterData") {
          added(record.target.parentElement);
        }
        for (const node of record.addedNodes) {
          added(node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
        }
      }
    }).observe(document.body, {childList: true, characterData: true, subtree: true});
    loadMathJax().catch((error) => console.error("[seglab-math]", error));
  }

  // Before sphinx-book-theme's onclick handler starts Thebe (capture phase).
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest(".btn-launch-thebe, .thebe-launch-button")) {
      startLive();
    }
  }, true);
})();
