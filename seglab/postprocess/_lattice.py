"""The permutohedral lattice (Adams, Baek and Davis 2010) and filtering with it."""

import numpy as np
import scipy.sparse as sp

try:  # scipy's compiled sparse-times-dense kernels, to write products in place
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover - a future scipy; _product_into falls back to @
    _sparsetools = None

# --------------------------------------------------------------------------
# Gaussian filtering in feature space: exact and permutohedral lattice


def _unique_inverse(codes):
    """The distinct values of an int64 (or structured) array, numbered in order of first
    occurrence.

    Returns ``(uniq, ids, inverse)``: ``uniq`` the distinct values in
    increasing order, ``ids[i]`` the number of ``uniq[i]`` (the rank of its
    first occurrence in ``codes.ravel()``), and ``inverse`` (shaped like
    ``codes``) the number of each entry. When the values' range leaves room
    for the positions in the low bits of an int64, one plain sort of the
    packed values gives all three (much faster than the argsort behind
    ``np.unique``'s inverse).
    """
    flat = codes.ravel()
    packable = flat.dtype == np.int64
    if packable:
        low = int(flat.min())
        span = int(flat.max()) - low
        bits = max(int(flat.size - 1).bit_length(), 1)
        packable = span.bit_length() + bits <= 62
    if packable:
        packed = flat - low
        packed <<= bits
        packed |= np.arange(flat.size)
        packed.sort()
        ordered = packed >> bits
        positions = np.bitwise_and(packed, (1 << bits) - 1, out=packed)
        first = np.empty(flat.size, dtype=bool)
        first[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
        uniq = ordered[first] + low
        sorted_inverse = np.cumsum(first)
        sorted_inverse -= 1
        first_positions = positions[first]
    else:
        uniq, first_positions, sorted_inverse = np.unique(flat, return_index=True,
                                                          return_inverse=True)
        positions = slice(None)
    ids = np.empty(uniq.size, dtype=np.int64)
    ids[np.argsort(first_positions)] = np.arange(uniq.size)
    inverse = np.empty(flat.size, dtype=np.int64)
    inverse[positions] = ids[sorted_inverse]
    return uniq, ids, inverse.reshape(codes.shape)


# Bits of the int64 vertex codes (the rest keeps differences of codes from overflowing).
_PACKED_BITS = 62
# Largest coordinate of the elevated features: float64 then resolves them to 2^-12 of a
# lattice cell, and the int64 vertex coordinates (with their blur offsets) cannot overflow.
_MAX_COORDINATE = 2.0**40


def _centred(features, scale, d):
    """The scaled features, translated to the origin when their magnitude would cost precision.

    The Gaussian kernel depends only on differences of features; features far from the
    origin (say 1e17, where float64 cannot tell neighbouring cells apart) are moved next
    to it. Features that span too many lattice cells even then are refused, before any
    cast to integers.
    """
    with np.errstate(over="ignore"):  # an overflow to inf is refused below
        cf = features * scale
        if (d + 1) * np.max(np.abs(cf)) <= _MAX_COORDINATE:
            return cf
        low, high = features.min(axis=0), features.max(axis=0)
        spread = (d + 1) * float(np.max((high - low) * scale))
    if not spread <= _MAX_COORDINATE:
        raise ValueError(
            f"features span about {spread:.3g} lattice cells (the permutohedral lattice "
            f"handles at most {_MAX_COORDINATE:.3g}); scale them down (a wider kernel)")
    return (features - (low + (high - low) / 2)) * scale


def _simplex_ids(cells, rank):
    """Number the points' simplices in order of first occurrence.

    A simplex is its remainder-0 vertex (coordinates multiples of d + 1; the first d given,
    divided by d + 1, as the rows of ``cells``) and the ranks of the point's coordinates
    (the rows of ``rank``). Returns ``(ids, first)``: each point's number and the index of
    the first point of each simplex; None when the key does not fit an int64.
    """
    d, n = cells.shape
    low = cells.min(axis=1)
    span = cells.max(axis=1) - low + 1
    if np.sum(np.log2(span.astype(np.float64))) + (d + 1) * np.log2(d + 1) > _PACKED_BITS:
        return None
    key = np.zeros(n, dtype=np.int64)
    term = np.empty(n, dtype=np.int64)
    radix = 1
    for col in range(d):
        np.subtract(cells[col], low[col], out=term)
        term *= radix
        key += term
        radix *= int(span[col])
    for col in range(d + 1):
        np.multiply(rank[col], radix, out=term)
        key += term
        radix *= d + 1
    del term
    # Runs of equal keys (neighbouring pixels in one simplex) are numbered once, by their
    # first point: the first occurrence of a key always starts a run, so this is the same
    # numbering as from every key, with a shorter sort.
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.not_equal(key[1:], key[:-1], out=starts[1:])
    heads = np.flatnonzero(starts)
    head_ids = _unique_inverse(key[heads])[2]
    del key
    first = np.empty(heads.size, dtype=bool)
    first[0] = True
    np.greater(head_ids[1:], np.maximum.accumulate(head_ids)[:-1], out=first[1:])
    run = np.cumsum(starts)
    run -= 1
    return head_ids[run], heads[first]


class _Permutohedral:
    """The permutohedral lattice of a feature set (Adams, Baek and Davis 2010).

    Each of the N points lies in a simplex of the lattice: ``vertices[i]``
    holds the indices of its :math:`d + 1` corners among the
    ``num_vertices`` occupied lattice points and ``weights[i]`` its
    barycentric coordinates; ``neighbours[j]`` gives, for every vertex, its
    two neighbours along lattice direction :math:`j` (``num_vertices`` where
    the neighbour is not occupied). :class:`_LatticeFilter` splats, blurs and
    slices with it.

    The per-point arrays are built as (d + 1, N) rows, each coordinate contiguous, and the
    temporaries are updated in place and dropped as soon as they are used: the build's
    peak memory (and the page faults of fresh memory, much of its cost) stays a few times
    the features'.
    """

    def __init__(self, features):
        n, d = features.shape
        self.d = d
        scale = np.sqrt(2.0 / 3.0) * (d + 1) / np.sqrt(np.arange(1, d + 1) * np.arange(2, d + 2))
        cf = np.ascontiguousarray(_centred(features, scale, d).T)
        # Elevate onto the hyperplane sum = 0 of R^{d+1} (an isometry times the scale):
        # coordinate i is the sum of cf[i:] less i cf[i - 1], coordinate d is -d cf[d - 1].
        elev = np.empty((d + 1, n))
        tail = cf[d - 1].copy()
        for i in range(d - 1, -1, -1):
            if i < d - 1:
                tail += cf[i]
            if i == 0:
                elev[0] = tail
            else:
                np.multiply(cf[i - 1], i, out=elev[i])
                np.subtract(tail, elev[i], out=elev[i])
        np.multiply(cf[d - 1], -d, out=elev[d])
        del cf, tail
        # Nearest remainder-0 point (``cells`` times d + 1), then the simplex containing the
        # point.
        cells = np.divide(elev, d + 1)
        np.round(cells, out=cells)
        total = cells.sum(axis=0).astype(np.int64)  # sums of small integers: exact
        # The rank of each coordinate of rem0 - elev, as a stable argsort would give it, by
        # comparing the (d + 1) d / 2 pairs of coordinates, stored as contiguous rows (much
        # faster than argsort along short rows).
        diff = np.multiply(cells, d + 1)
        diff -= elev
        rank = np.zeros((d + 1, n), dtype=np.int64)
        before = np.empty(n, dtype=bool)
        for a in range(d + 1):
            for b in range(a + 1, d + 1):
                np.less(diff[b], diff[a], out=before)
                rank[a] += before
                np.logical_not(before, out=before)
                rank[b] += before
        del diff, before
        rank += total
        del total
        # Ranks out of [0, d] wrap around, moving the remainder-0 point by d + 1.
        wrap = (rank < 0).astype(np.int64)
        wrap -= rank > d
        cells += wrap
        wrap *= d + 1
        rank += wrap
        del wrap
        # Barycentric coordinates: with v_(k) the coordinate of rank k, coordinate p gets
        # v_(d - p) - v_(d + 1 - p) (terms out of range left out), then coordinate 0
        # gets 1 + coordinate d + 1.
        v = np.multiply(cells, d + 1)
        np.subtract(elev, v, out=v)
        v /= d + 1
        del elev
        by_rank = np.empty((d + 1, n))
        np.put_along_axis(by_rank, rank, v, axis=0)
        del v
        by_rank = by_rank[::-1]
        bary = np.zeros((d + 2, n))
        bary[: d + 1] = by_rank
        bary[1:] -= by_rank
        bary[0] += 1.0 + bary[d + 1]
        del by_rank
        self.weights = bary[: d + 1].T
        # The d + 1 vertices of each point's simplex, r = 0..d, have first d coordinates
        # rem0 + r - (d + 1) [rank > d - r]; encode them as integers in a mixed radix wide
        # enough for the vertices and their blur neighbours (offsets within 2d + 1).
        cells = cells[:d].astype(np.int64)
        pad = 2 * d + 3
        self._lo = cells.min(axis=1) * (d + 1) - pad
        self._span = cells.max(axis=1) * (d + 1) + pad - self._lo + 1
        # One int64 code per vertex when the mixed radix fits (d <= 10 unless the features
        # span many cells); otherwise the d coordinates themselves, as a structured row.
        self._packed = np.sum(np.log2(self._span.astype(np.float64))) <= _PACKED_BITS
        # Neighbouring points often share a simplex: number the distinct simplices first,
        # then find the vertices of one point per simplex (when the simplex key fits).
        simplices = _simplex_ids(cells, rank) if self._packed else None
        if simplices is not None:
            simplex_of, first = simplices
            cells, rank = cells[:, first], rank[:, first]
        rem0 = cells.T * (d + 1)
        rank = rank.T
        del cells
        if self._packed:
            order = np.empty(rank.shape, dtype=np.int64)
            np.put_along_axis(order, rank, np.arange(d + 1)[None, :], axis=1)
            self._radix = np.cumprod(np.r_[1, self._span[:-1]])
            # The sum over the columns with rank > d - r of their radix is a cumulative sum
            # over ranks (integers, so exact; int64 wraps around alike in any order).
            shift = np.zeros((rem0.shape[0], d + 1), dtype=np.int64)
            np.cumsum(np.r_[self._radix, 0][order[:, :0:-1]], axis=1, out=shift[:, 1:])
            codes = (self._encode(rem0)[:, None] + np.arange(d + 1) * self._radix.sum()
                     - (d + 1) * shift)
        else:
            keys = (rem0[:, None, :] + np.arange(d + 1)[None, :, None]
                    - (d + 1) * (rank[:, None, :d] > d - np.arange(d + 1)[None, :, None]))
            codes = self._encode(keys.reshape(n * (d + 1), d)).reshape(n, d + 1)
        # Vertices numbered in order of first use by the points (raster order for an
        # image), so that splat and slice touch nearby rows of the lattice's values.
        uniq, ids, self.vertices = _unique_inverse(codes)
        if simplices is not None:
            # A vertex first used by a point is first used by its simplex's first point,
            # so this numbering is the same as from every point's codes.
            self.vertices = self.vertices[simplex_of]
        m = uniq.size
        self.num_vertices = m
        if self._packed:
            # Codes are linear in the coordinates: a neighbour's code is the vertex's plus
            # a constant, and the sorted codes shifted by it are looked up in sorted order.
            vertex_codes, where = uniq, ids
        else:
            vertex_codes = np.empty(m, dtype=uniq.dtype)
            vertex_codes[ids] = uniq
            where = slice(None)
            vertex_keys = vertex_codes.view(np.int64).reshape(m, d)
        ids = np.r_[ids, m]
        self.neighbours = []
        for j in range(d + 1):
            step = np.full(d, 1, dtype=np.int64)
            if j < d:
                step[j] = -d
            pair = []
            for sign in (-1, 1):
                found = np.empty(m, dtype=ids.dtype)
                if self._packed:
                    codes = vertex_codes + sign * int(np.dot(step, self._radix))
                else:
                    codes = self._encode(vertex_keys + sign * step)
                found[where] = ids[self._lookup(uniq, codes)]
                pair.append(found)
            self.neighbours.append(tuple(pair))

    def _encode(self, keys):
        if not self._packed:
            rows = np.ascontiguousarray(keys, dtype=np.int64)
            return rows.view([(f"c{col}", np.int64) for col in range(self.d)])[:, 0]
        codes = np.zeros(keys.shape[0], dtype=np.int64)
        for col, (low, radix) in enumerate(zip(self._lo, self._radix, strict=True)):
            codes += (keys[:, col] - low) * radix
        return codes

    def _lookup(self, uniq, codes):
        idx = np.searchsorted(uniq, codes)
        idx = np.minimum(idx, uniq.size - 1)
        return np.where(uniq[idx] == codes, idx, uniq.size)

    def apply(self, values):
        """Splat, blur with [1/2, 1, 1/2] along the d + 1 lattice directions, slice."""
        return _LatticeFilter([self]).apply(values)

    @property
    def gain(self):
        r"""Ratio of the lattice filter's mass to that of :math:`e^{-|x|^2/2}`.

        The splat and slice weights sum to one, each of the :math:`d + 1`
        blurs multiplies mass by 2, and the lattice has one vertex per volume
        :math:`(3/2)^{d/2} / \sqrt{d+1}` of feature space, against the
        Gaussian's mass :math:`(2\pi)^{d/2}`.
        """
        d = self.d
        return 2.0 ** (d + 1) * (3.0 / (4.0 * np.pi)) ** (d / 2) / np.sqrt(d + 1)


class _GridLattice:
    r"""The product of 1-D permutohedral lattices along the axes of a pixel grid.

    For the Gaussian kernel of pixel positions, :math:`e^{-|p_i - p_j|^2 / 2\sigma^2}`,
    which is the product of one Gaussian per image axis: each axis gets the 1-D lattice
    of its coordinates divided by ``sigma`` (a line of vertices; splat and slice by linear
    interpolation, blur along its 2 directions), and the grid's lattice is their product:
    each pixel splats onto the :math:`2 \times 2` products of its row's and its column's
    vertices, with the products of their weights, and the blur runs along both axes'
    directions in turn. Same interface as :class:`_Permutohedral` for
    :class:`_LatticeFilter` (``vertices``, ``weights``, ``num_vertices``, ``neighbours``,
    ``gain``); built from the two short axes in :math:`O(N)` simple passes, with no sort
    over the pixels.
    """

    def __init__(self, shape, sigma):
        h, w = shape
        rows, cols = (_Permutohedral(np.arange(size, dtype=np.float64)[:, None] / sigma)
                      for size in (h, w))
        m_rows, m_cols = rows.num_vertices, cols.num_vertices
        self.num_vertices = m = m_rows * m_cols
        self.vertices = (rows.vertices[:, None, :, None] * m_cols
                         + cols.vertices[None, :, None, :]).reshape(h * w, 4)
        self.weights = (rows.weights[:, None, :, None]
                        * cols.weights[None, :, None, :]).reshape(h * w, 4)
        # Vertex v is (v // m_cols, v % m_cols); a missing 1-D neighbour stays missing (m).
        row_of, col_of = np.divmod(np.arange(m), m_cols)
        self.neighbours = [tuple(np.where(nb[row_of] < m_rows, nb[row_of] * m_cols + col_of, m)
                                 for nb in pair) for pair in rows.neighbours]
        self.neighbours += [tuple(np.where(nb[col_of] < m_cols, row_of * m_cols + nb[col_of], m)
                                  for nb in pair) for pair in cols.neighbours]
        self.gain = rows.gain * cols.gain


class _LatticeFilter:
    r"""Filtering with one or more lattices on the same N points.

    Computes :math:`\sum_t a_t \odot L_t(b_t \odot v) + c \odot v`, with
    :math:`L_t` the splat-blur-slice of lattice :math:`t` and per-point
    factors :math:`a_t, b_t, c` (ones, ones and zero until :meth:`rescale`).
    The lattices' vertices are stacked in one array of values, followed by a
    zero row that stands for every unoccupied neighbour, so that one sparse
    product splats onto all of them and one slices back from all of them:

    * splat: an :math:`(M + 1) \times N` CSC matrix (point :math:`i`'s column
      holds its simplices' vertices, weights ``b[i] * weights[i]``), whose
      product reads the rows of ``v`` in order and scatters them onto the
      lattice (much faster than the CSR product of the same matrix, which
      gathers scattered rows of ``v``; both add each vertex's terms in
      increasing order of the points);
    * blur: for each direction :math:`j`, a sparse matrix with 1 on the
      diagonal and 1/2 at the two neighbours along direction :math:`j`
      (identity rows for a lattice with fewer directions);
    * slice: the :math:`N \times (M + 1)` CSR matrix with the same structure
      and weights ``a[i] * weights[i]``; with :math:`c`, one more entry per
      row reads ``v`` itself, stacked below the blurred values.

    The lattice's values and ``v`` live in one buffer, allocated once per
    number of channels, and every product writes into a buffer it is handed
    (:func:`_product_into`): repeated calls allocate no array of the size of
    the image or the lattice. ``dtype`` is that of the matrices and of the
    values they filter (float32 halves the memory traffic of the products,
    which is their cost).
    """

    def __init__(self, lattices, dtype=np.float64):
        n = lattices[0].vertices.shape[0]
        offsets = np.cumsum([0, *(lattice.num_vertices for lattice in lattices)])
        total = int(offsets[-1])
        width = sum(lattice.vertices.shape[1] for lattice in lattices)
        self._index = np.int32 if total + 1 + n < 2**31 and n * (width + 1) < 2**31 else np.int64
        self._cols = np.empty((n, width), dtype=self._index)
        self._weights = np.empty((n, width))
        self._parts = []
        start = 0
        for lattice, off in zip(lattices, offsets[:-1], strict=True):
            part = slice(start, start + lattice.vertices.shape[1])
            start = part.stop
            self._parts.append((part, slice(off, off + lattice.num_vertices)))
            np.add(lattice.vertices, off, out=self._cols[:, part], casting="unsafe")
            self._weights[:, part] = lattice.weights
        self._n, self._total = n, total
        self.dtype = np.dtype(dtype)
        self._stack = self._spare = None
        # Splat and slice are built by rescale (unit factors at the first apply without it).
        self._splat = self._slice = None
        self._diagonal = False
        # Blur step j of every lattice at once: row v holds 1 at v and 1/2 at its two
        # neighbours along direction j (unoccupied ones left out, their values being 0); a
        # lattice with fewer directions keeps 1 at v; the last row stays 0.
        self._blur = []
        for j in range(max(len(lattice.neighbours) for lattice in lattices)):
            cols = np.full((total + 1, 3), total, dtype=self._index)
            cols[:total, 0] = np.arange(total)
            for lattice, off in zip(lattices, offsets[:-1], strict=True):
                if j < len(lattice.neighbours):
                    for side, nb in enumerate(lattice.neighbours[j], start=1):
                        cols[off : off + lattice.num_vertices, side] = nb + off
            # Unoccupied neighbours (the last row) and the last row itself are left out.
            keep = cols < total
            for lattice, off in zip(lattices, offsets[:-1], strict=True):
                if j < len(lattice.neighbours):
                    keep[off : off + lattice.num_vertices, 1:] &= (
                        np.stack(lattice.neighbours[j], axis=1) < lattice.num_vertices)
            vals = np.broadcast_to(np.array([1.0, 0.5, 0.5], dtype=self.dtype),
                                   keep.shape)[keep]
            indptr = np.r_[0, np.cumsum(keep.sum(axis=1))].astype(self._index)
            self._blur.append(sp.csr_matrix((vals, cols[keep], indptr),
                                            shape=(total + 1, total + 1)))

    def rescale(self, before, after, diagonal=None, *, final=False):
        """Set the factors: lists ``before`` and ``after`` (one (N,) array or None per
        lattice) and ``diagonal`` ((N,) or None). ``final=True`` then frees the float64
        weights (N x width), which :meth:`rescale` and :meth:`apply_each` need: neither can
        be called again."""
        if self._weights is None:
            raise RuntimeError("the factors of this filter were set with final=True")
        n, total = self._n, self._total
        width = self._weights.shape[1]
        wide = width + (diagonal is not None)
        # Products in float64, rounded once to the filter's dtype.
        splat = np.empty((n, width), dtype=self.dtype)
        slc = np.empty((n, wide), dtype=self.dtype)
        for (part, _), b, a in zip(self._parts, before, after, strict=True):
            w = self._weights[:, part]
            for out, factor in ((splat, b), (slc, a)):
                if factor is None:
                    out[:, part] = w
                else:
                    np.multiply(w, factor[:, None], out=out[:, part])
        indptr = np.arange(0, n * width + 1, width, dtype=self._index)
        self._splat = sp.csc_matrix((splat.ravel(), self._cols.ravel(), indptr),
                                    shape=(total + 1, n))
        self._diagonal = diagonal is not None
        cols = self._cols
        if self._diagonal:
            slc[:, width] = diagonal
            cols = np.empty((n, wide), dtype=self._index)
            cols[:, :width] = self._cols
            cols[:, width] = np.arange(total + 1, total + 1 + n)
        indptr = np.arange(0, n * wide + 1, wide, dtype=self._index)
        self._slice = sp.csr_matrix((slc.ravel(), cols.ravel(), indptr),
                                    shape=(n, total + 1 + n * self._diagonal))
        if final:
            self._weights = None

    def _buffers(self, channels):
        """The (M + 1 + N, channels) stack of lattice values and values, and a spare
        (M + 1, channels) array for the blur, allocated once per number of channels."""
        if self._stack is None or self._stack.shape[1] != channels:
            self._stack = np.zeros((self._total + 1 + self._n, channels), dtype=self.dtype)
            self._spare = np.zeros((self._total + 1, channels), dtype=self.dtype)
        return self._stack, self._spare

    def values_buffer(self, channels):
        """An (N, channels) array that :meth:`apply` reads without copying."""
        return self._buffers(channels)[0][self._total + 1 :]

    def apply(self, values, out=None):
        """Filter the columns of ``values``, shape (N, C), into ``out`` (a new array if None;
        (N, C) C-contiguous of the filter's dtype otherwise)."""
        if self._splat is None:
            self.rescale([None] * len(self._parts), [None] * len(self._parts))
        stack, spare = self._buffers(values.shape[1])
        m = self._total + 1
        tail = stack[m:]
        if values.ctypes.data != tail.ctypes.data or values.strides != tail.strides:
            tail[...] = values
        # Splat and blur alternate between the stack's head and the spare buffer, so that
        # the last blur step ends in the stack's head.
        lat, other = (stack[:m], spare) if len(self._blur) % 2 == 0 else (spare, stack[:m])
        _product_into(self._splat, tail, lat)
        for step in self._blur:
            lat, other = _product_into(step, lat, other), lat
        if out is None:
            out = np.empty((self._n, values.shape[1]), dtype=self.dtype)
        elif np.may_share_memory(out, stack):
            raise ValueError("out must not share memory with the filter's values buffer")
        return _product_into(self._slice, stack if self._diagonal else lat, out)

    def apply_each(self, values):
        """Each lattice's filter of ``values``, shape (N,), with unit factors, as the columns
        of an (N, L) float64 array (the kernels' row sums for ``values`` = 1)."""
        if self._weights is None:
            raise RuntimeError("the factors of this filter were set with final=True")
        n, width = self._cols.shape
        # The splat and slice of unit factors, on the float64 weights themselves (no copy).
        indptr = np.arange(0, n * width + 1, width, dtype=self._index)
        data, indices = self._weights.ravel(), self._cols.ravel()
        lat = sp.csc_matrix((data, indices, indptr), shape=(self._total + 1, n)) @ values
        for step in self._blur:
            lat = step @ lat
        parts = np.zeros((lat.shape[0], len(self._parts)))
        for t, (_, rows) in enumerate(self._parts):
            parts[rows, t] = lat[rows]
        return sp.csr_matrix((data, indices, indptr), shape=(n, self._total + 1)) @ parts


def _product_into(matrix, values, out):
    """``out[...] = matrix @ values`` for a CSR or CSC ``matrix`` and C-contiguous 2-D
    ``values`` and ``out`` of the matrix's dtype, without the temporary result of ``@``.

    scipy's compiled kernel behind ``@`` (``csr_matvecs``/``csc_matvecs``, which add the
    product into a zeroed array) is called on ``out`` itself; ``@`` and a copy are the
    fallback if that private module ever changes.
    """
    kernel = getattr(_sparsetools, f"{matrix.format}_matvecs", None)
    if (kernel is None or values.dtype != matrix.dtype or out.dtype != matrix.dtype
            or not (values.flags.c_contiguous and out.flags.c_contiguous)):
        out[...] = matrix @ values
        return out
    out.fill(0)
    kernel(matrix.shape[0], matrix.shape[1], values.shape[1], matrix.indptr, matrix.indices,
           matrix.data, values.ravel(), out.ravel())
    return out
