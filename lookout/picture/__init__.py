"""The common picture: partners' messages fused into system tracks, assessed, grouped.

- ``fusion``: stream processing of what the exchange delivers (``PictureFusion``): a reorder
  buffer behind a watermark, measurement-level fusion of shared detections through one
  tracker, track-to-track fusion of shared local tracks by covariance intersection, one stable
  system-track id per object, a report every period.
- ``common``: ``CommonPicture`` (fusion plus assessment plus launch events, the wire form of
  system tracks) and ``PictureView``, what one partner receives of it.

The estimators themselves live in ``lookout.tracking``, the assessment in ``lookout.assess``.
"""
