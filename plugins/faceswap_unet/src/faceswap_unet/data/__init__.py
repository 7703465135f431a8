"""LFW data pipeline without torch: raw layouts, preparation, splits, augmentations, samples.

Preparing and reading datasets needs only numpy, OpenCV and a registered
detector, so users who prepare or evaluate data never install torch.
"""
