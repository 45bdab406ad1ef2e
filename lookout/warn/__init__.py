"""Public warnings: each partner's CAP 1.2 alerts for its own areas, in its people's languages.

``areas`` (the partners' first-level areas, territorial seas, EEZs, sea names), ``notice`` (one
lifecycle decision: the seam), ``cap`` (a notice as a CAP 1.2 alert), ``sign`` (its XML
signature), ``atom`` (the Atom index of active alerts).
"""
