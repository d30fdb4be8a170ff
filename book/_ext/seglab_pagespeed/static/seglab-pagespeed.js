/* seglab: code blocks and outputs get their keyboard stop when they come near the viewport.
 *
 * pydata-sphinx-theme makes a scrollable code block or cell output focusable (tabindex 0) and
 * a non-scrollable one not (tabindex -1), in one pass over the whole page on `load`, and again
 * 300 ms after a resize or a change of the page. On a long page each block's size is read
 * after the previous block's tabindex was written, so the pass lays the page out once per
 * block: about a second on the longest chapters, and the sections that
 * seglab-pagespeed.css leaves unrendered are rendered by it. This script replaces that pass by
 * the same rule applied block by block, when a block comes within a screen of the viewport
 * (its size is then known at no cost); until then a block keeps tabindex 0, so that every
 * scrollable block is reachable from the keyboard from the start.
 * (book/_ext/seglab_pagespeed/__init__.py; checked by tests/test_browser_book.py.)
 */
(function () {
  "use strict";
  // The theme's selectors (pydata-sphinx-theme 0.17, addTabStopsToScrollableElements).
  var SELECTOR = ["pre", ".nboutput > .output_area", ".cell_output > .output",
                  ".jp-RenderedHTMLCommon", ".pst-scrollable-table-container",
                  // and a display formula wider than its column (book/_ext/seglab_a11y)
                  "div.math > mjx-container"].join(", ");
  var THEME_SCRIPT = /\/_static\/scripts\/pydata-sphinx-theme\.js(\?|$)/;
  var state = {replaced: 0, checked: 0};
  window.seglabPageSpeed = state;

  // Keep the theme's whole-page pass off the load event: a `load` listener added while the
  // theme's own script file runs is the pass (the theme adds no other `load` listener).
  var nativeAdd = window.addEventListener;
  window.addEventListener = function (type, listener, options) {
    var script = document.currentScript;
    if (type === "load" && script && THEME_SCRIPT.test(script.src || "")) {
      state.replaced += 1;
      return undefined;
    }
    return nativeAdd.call(this, type, listener, options);
  };

  function scrollable(el) {
    return el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight;
  }

  var observer = null;
  var seen = new WeakSet();

  function watch(root) {
    var blocks = root.matches && root.matches(SELECTOR) ? [root] : [];
    if (root.querySelectorAll) blocks = blocks.concat(Array.prototype.slice.call(
      root.querySelectorAll(SELECTOR)));
    blocks.forEach(function (el) {
      if (seen.has(el)) return;
      seen.add(el);
      if (!el.hasAttribute("tabindex")) el.tabIndex = 0;  // reachable until checked
      observer.observe(el);
    });
  }

  function start() {
    window.addEventListener = nativeAdd;
    var main = document.getElementById("main-content") || document.body;
    observer = new IntersectionObserver(function (entries) {
      // Read every size first, then write: one layout for the whole batch.
      var verdicts = entries.filter(function (e) { return e.isIntersecting; })
        .map(function (e) { return [e.target, scrollable(e.target)]; });
      verdicts.forEach(function (v) {
        v[0].tabIndex = v[1] ? 0 : -1;
        state.checked += 1;
      });
    }, {rootMargin: "100% 0px"});
    watch(main);
    new MutationObserver(function (records) {
      records.forEach(function (r) {
        r.addedNodes.forEach(function (n) { if (n.nodeType === 1) watch(n); });
      });
    }).observe(main, {subtree: true, childList: true});
    // A new width may make any block scrollable: every block is a keyboard stop again until
    // it is checked anew (the observer reports the blocks near the viewport at once).
    var timer = null;
    nativeAdd.call(window, "resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        document.querySelectorAll(SELECTOR).forEach(function (el) {
          el.tabIndex = 0;
          observer.unobserve(el);
          observer.observe(el);
        });
      }, 300);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
