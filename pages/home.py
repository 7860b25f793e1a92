"""Home: what a convnet is, in three ideas, and a map of the app."""

import streamlit as st

from ui.i18n import _

st.title("CNN Lab")
st.markdown(
    _(
        "See and touch every step of a **convolutional neural network**: the numbers inside a "
        "convolution, what padding, stride and pooling do to shapes, a convnet learning MNIST live, "
        "augmentation against overfitting, and what each layer sees."
    )
)

st.header(_("Three ideas behind convnets"))
left, middle, right = st.columns(3)
with left:
    st.subheader(_("Local patterns"))
    st.markdown(
        _(
            "A **dense** layer connects every input pixel to every unit, so it learns *global* "
            "patterns of the whole image. A **convolution** layer slides a small window (3x3 or 5x5) "
            "over the image and learns *local* patterns inside that window: edges, corners, textures."
        )
    )
with middle:
    st.subheader(_("Translation invariance"))
    st.markdown(
        _(
            "The same filter is applied at every position, so a pattern learned in the lower-left "
            "corner is recognised anywhere else too. A convnet needs far fewer examples than a dense "
            "network to learn what a stroke or an eye looks like."
        )
    )
with right:
    st.subheader(_("A spatial hierarchy"))
    st.markdown(
        _(
            "Stacked convolutions see ever larger regions: the first layer finds edges, the next "
            "combines edges into textures and parts, and deeper layers respond to whole concepts "
            "such as ears and eyes. Pooling halves the maps between layers to make this cheap."
        )
    )

st.header(_("Map of the app"))
LINKS = {
    _("**Start**: the chapter as a guided path, and the words it uses."): [
        (
            "pages/lesson.py",
            _("Lesson: the chapter step by step"),
            "🎓",
            _("A dozen short steps, each with a question"),
        ),
        (
            "pages/glossary.py",
            _("Glossary"),
            "📖",
            _("The study note's terms in Korean and English, with Keras arguments"),
        ),
    ],
    _("**Concepts**: one operation at a time, with real numbers at every step."): [
        (
            "pages/convolution.py",
            _("Convolution"),
            "🔲",
            _("Window, products, sums, channels and bias, several filters"),
        ),
        ("pages/padding.py", _("Padding"), "🖼️", _("valid vs same vs explicit zero padding")),
        ("pages/stride.py", _("Stride"), "👣", _("How far the window jumps, and the output size")),
        ("pages/pooling.py", _("Pooling"), "🔽", _("Max and average pooling, downsampling a feature map")),
    ],
    _("**Practice**: train real models on this server, and watch them learn."): [
        (
            "pages/augmentation.py",
            _("Augmentation"),
            "🔀",
            _("Rotations, shifts, shear, zoom and flips, previewed live"),
        ),
        ("pages/training.py", _("Train on MNIST"), "📈", _("The seed's convnet with live loss and accuracy charts")),
        (
            "pages/folder_training.py",
            _("Train on image folders"),
            "🗂️",
            _("Cats vs dogs or your own zip of class folders"),
        ),
        ("pages/overfitting_lab.py", _("Overfitting lab"), "⚖️", _("Plain vs augmentation + dropout, side by side")),
    ],
    _("**Inside the network**: open up a trained model."): [
        (
            "pages/activations.py",
            _("Activation maps"),
            "🔥",
            _("Every layer's feature maps, Grad-CAM and filter patterns"),
        ),
        (
            "pages/network.py",
            _("How the network reads a digit"),
            "🧠",
            _("Every layer for one digit; any cell explained"),
        ),
        ("pages/digits.py", _("Read my digit"), "✍️", _("Webcam, drawing pad or photo, preprocessed the way MNIST was")),
    ],
}
for heading, links in LINKS.items():
    st.markdown(heading)
    for column, (page, label, icon, help_text) in zip(st.columns(4), links, strict=False):
        column.page_link(page, label=label, icon=icon, help=help_text)

st.caption(
    _(
        "Everything runs offline on bundled data: the full MNIST set (Yann LeCun, Corinna Cortes and "
        "Christopher J.C. Burges, CC BY-SA 3.0) and models trained from it. Photo of Chelsea the cat "
        "by Stefan van der Walt (CC0), from scikit-image."
    )
)
