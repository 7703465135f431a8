"""torch modules: the U-Net generator, the recognizers of the identity loss, the discriminator."""
