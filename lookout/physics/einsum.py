"""``einsum`` without numpy's Python wrapper.

``np.einsum`` with its default ``optimize=False`` hands its operands unchanged to numpy's C
``c_einsum``, after its dispatch and argument handling: a few microseconds a call, which the
flight model's arrays of a few tens of rows pay several times at every step of every flight
(the reach flights of ``lookout.assess.footprint``, some 250 steps an assessment). This is that
C function itself: the same computation, the same result bit for bit; numpy's ``einsum`` where
numpy no longer has it under this private name.
"""

from __future__ import annotations

try:
    from numpy._core.multiarray import c_einsum as einsum
except ImportError:  # pragma: no cover - another numpy
    from numpy import einsum

__all__ = ["einsum"]
