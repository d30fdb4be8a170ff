r"""The panels of the classroom dashboard (``make demo``, ``notebooks/dashboard.ipynb``).

:data:`PANELS` lists, in presenting order, one slider per conclusion of the book: a title,
the question to ask the class before moving the slider, what the class should notice (shown
on demand), the figure function of the topic module that draws it, and the slider values.
The dashboard renders each frame with :func:`seglab.widgets.slider` at
:data:`seglab.viz.style.PRESENTER_DPI`, shown at its natural size, so that every figure's
text (at least 8 pt) is at least 14 pt on a 1920 × 1080 projector.

Explained in the book, chapter 1 (``book/ch1/index.md``).
"""

from ..widgets import Param
from . import boundary, decisions, imbalance, losses, postprocess

__all__ = ["PANELS"]


def _coins(func):
    """``func`` on the coins photograph (:func:`seglab.data.coins_case`)."""
    def on_coins(**kwargs):
        return func(**kwargs, case="coins")

    on_coins.__name__ = on_coins.__qualname__ = f"{func.__name__}_on_coins"
    on_coins.__doc__ = f"{func.__name__}(..., case='coins')"
    return on_coins


#: The dashboard's panels: dicts with keys ``tab`` (short name), ``title``, ``prompt``
#: (one line, "Ask the class: ..."), ``notice`` (what to notice, revealed on demand),
#: ``func`` (figure function) and ``params`` (keyword → :class:`seglab.widgets.Param`).
PANELS = (
    dict(
        tab="1 Imbalance π", title="Class imbalance: the foreground prior π",
        prompt="Ask the class: the classifier's TPR and FPR stay fixed. As the foreground "
               "shrinks, which scores fall and which stay high?",
        notice="Accuracy climbs towards 1 while precision, Dice and IoU collapse: with a fixed "
               "false-positive rate the false positives outnumber the rare true positives. "
               "Balanced accuracy does not see the prior at all (chapter 1, overlap).",
        func=imbalance.imbalance_figure,
        params={"pi": Param([0.5, 0.1, 0.05, 0.02, 0.01, 0.005, 0.001],
                            label="prior π")}),
    dict(
        tab="2 Dice threshold", title="The Dice-optimal threshold F*/2 moves with the prior",
        prompt="Ask the class: to maximise Dice, should we threshold the posterior at 1/2? "
               "And when the foreground gets rarer?",
        notice="The best threshold is half the best Dice, F*/2: always below 1/2, and falling "
               "with the prior (the circles sit on the dashed curve). Cross-entropy's 1/2 "
               "and the balanced rule's π bracket it (chapter 1, decisions).",
        func=imbalance.dice_threshold_figure,
        params={"pi": Param([0.5, 0.1, 0.05, 0.02, 0.01, 0.002], label="prior π")}),
    dict(
        tab="3 Tversky α, β", title="Tversky index: weights α (false positives) and β "
                                    "(false negatives)",
        prompt="Ask the class: we double the penalty on missed foreground (β). Where does "
               "the optimal threshold go?",
        notice="Raising β lowers the optimal threshold (more pixels called foreground, fewer "
               "misses); raising α raises it. α = β = 1/2 is Dice (chapter 1, decisions).",
        func=decisions.tversky_figure,
        params={"alpha": Param([0.5, 0.2, 0.8], label="α (FP)"),
                "beta": Param([0.5, 0.2, 0.8], label="β (FN)")}),
    dict(
        tab="4 Focal γ, α", title="Focal loss: the focusing parameter γ and the class "
                                  "weight α",
        prompt="Ask the class: the focal loss down-weights easy pixels. Does it change "
               "which pixels are called foreground?",
        notice="With α = 1/2 the minimiser q*(η) bends with γ but still crosses 1/2 at "
               "η = 1/2: the decision is cross-entropy's. Only α moves the crossing "
               "(chapter 2).",
        func=losses.focal_figure,
        params={"gamma": Param([0.0, 1.0, 2.0, 5.0], label="γ"),
                "alpha": Param([0.5, 0.25], label="α (foreground weight)")}),
    dict(
        tab="5 Perfect loss", title="The perfect-loss conflict: error rate against balanced "
                                    "error under label noise",
        prompt="Ask the class: can one classifier make the fewest errors and never flip the "
               "rare class? Raise the label noise: when does that stop?",
        notice="Below the margin bound 2a/(1 + 2a) both rules agree and both excesses are "
               "0; past it the conflict mass P(π < η < 1/2) is positive and each rule pays "
               "for the other's criterion: no loss is optimal for both (chapter 4, perfect "
               "loss).",
        func=decisions.label_noise_figure,
        params={"noise_width": Param([0.0, 0.05, 0.1, 0.2, 0.3, 0.5],
                                     label="noise width w"),
                "clean_prior": Param([0.05, 0.2], label="clean prior a")}),
    dict(
        tab="6 HD vs HD95", title="One outlier pixel: HD against HD95",
        prompt="Ask the class: we add one wrong pixel far from the object. Which of Dice, "
               "HD, HD95, ASSD notice?",
        notice="HD equals the outlier's distance: one pixel sets it. HD95 and ASSD barely "
               "move, Dice not at all (chapter 1, boundary).",
        func=boundary.outlier_figure,
        params={"distance": Param([2, 5, 10, 20, 30, 40], label="outlier distance (px)"),
                "radius": Param([8, 16], label="disk radius (px)")}),
    dict(
        tab="7 TV λ", title="Total variation on the coins photograph: the smoothing weight λ",
        prompt="Ask the class: more smoothing removes the speckle. What does it do to small "
               "coins and corners?",
        notice="The ROF map flattens into plateaus (colour bar: posterior scale); the "
               "relaxation's mask loses its speckle first, then rounds corners and finally "
               "swallows the smallest regions as λ grows (chapter 3, TV).",
        func=_coins(postprocess.tv_figure),
        params={"lam": Param([0.0, 0.25, 0.5, 1.0, 2.0, 4.0], label="λ")}),
    dict(
        tab="8 Dense CRF", title="Dense CRF on the coins photograph: the spatial kernel's "
                                 "weight and width σ",
        prompt="Ask the class: a stronger, wider spatial kernel rewards agreeing neighbours. "
               "Does the IoU keep improving?",
        notice="A little weight removes isolated errors; a large, wide kernel erodes the "
               "coins' edges. The free energy falls at every iteration (chapter 3, CRF).",
        func=_coins(postprocess.crf_figure),
        params={"spatial_weight": Param([0.0, 3.0, 30.0], label="weight w"),
                "spatial_sigma": Param([1.0, 3.0], label="spatial σ (px)"),
                "max_iter": Param([1, 5], label="iterations")}),
)
