"""Write tests/data/pydensecrf_reference.npz: pydensecrf2's mean-field marginals on a small case.

The test ``tests/test_postprocess_crf.py::test_conformance_with_pydensecrf`` compares
``seglab.postprocess.dense_crf`` with these values, so that pydensecrf2 (a benchmark-only
dependency, ``benchmarks/requirements.txt``) is not needed by the tests.

Peer: pydensecrf2 1.1 (module ``pydensecrf``, Krähenbühl's C++ code),
``DenseCRF2D(w, h, k)``, ``setUnaryEnergy(-log p)``, ``addPairwiseGaussian(sxy=3, compat=3)``,
``addPairwiseBilateral(sxy=20, srgb=13, rgbim, compat=10)``, ``inference(5)``.
Input: scikit-image's astronaut resized to 60 x 64 (uint8 RGB) and a noisy 3-class posterior
(seeded). Run ``python benchmarks/make_crf_reference.py`` to regenerate.
"""

from pathlib import Path

import numpy as np
import pydensecrf.densecrf as dcrf
from skimage import data, transform

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "pydensecrf_reference.npz"


def main():
    shape, k = (60, 64), 3
    image = (transform.resize(data.astronaut(), shape, anti_aliasing=True) * 255).astype(np.uint8)
    grey = image.mean(axis=2)
    bands = np.minimum((grey / 256 * k).astype(int), k - 1)
    rng = np.random.default_rng(0)
    logits = 1.5 * (np.arange(k)[:, None, None] == bands) + rng.normal(0.0, 1.0, (k, *shape))
    prob = np.exp(logits - logits.max(axis=0))
    prob /= prob.sum(axis=0)
    crf = dcrf.DenseCRF2D(shape[1], shape[0], k)
    crf.setUnaryEnergy(np.ascontiguousarray(-np.log(prob).reshape(k, -1), dtype=np.float32))
    crf.addPairwiseGaussian(sxy=3, compat=3)
    crf.addPairwiseBilateral(sxy=20, srgb=13, rgbim=np.ascontiguousarray(image), compat=10)
    q = np.array(crf.inference(5)).reshape(k, *shape)
    np.savez_compressed(OUT, image=image, prob=prob, q=q)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
