// The decks of `make slides` (tools/slides.py): reveal.js set up for slides cut from the book.
// A slide whose content is taller than the slide is shrunk (its font size, so formulas typeset
// in em units shrink with the text) until it fits.
(function () {
  var HEIGHT = 760;

  function fit(slide) {
    var box = slide && slide.querySelector(".seglab-fit");
    if (!box) { return; }
    var size = 100;
    box.style.fontSize = "";
    while (box.scrollHeight > HEIGHT && size > 40) {
      size -= 5;
      box.style.fontSize = size + "%";
    }
  }

  Reveal.initialize({
    width: 1280, height: HEIGHT, margin: 0.04, center: false, hash: true,
    transition: "none", backgroundTransition: "none", slideNumber: "c/t",
    navigationMode: "default", controlsTutorial: false
  }).then(function () { fit(Reveal.getCurrentSlide()); });
  Reveal.on("slidechanged", function (event) { fit(event.currentSlide); });
  window.addEventListener("load", function () { fit(Reveal.getCurrentSlide()); });
})();
