"""Pictures: decoding and resizing, augmentation transforms, and reading handwritten digits."""
