"""Data: the bundled MNIST, image folders from zips or paths, and the cats-and-dogs download."""
