"""Home: what a convnet is, in three ideas, and a map of the app."""

import streamlit as st

import ui  # noqa: F401  (keeps a first deep link inside the app's navigation)

st.title("CNN Lab")
st.markdown(
    "See and touch every step of a **convolutional neural network**: the numbers inside a "
    "convolution, what padding, stride and pooling do to shapes, a convnet learning MNIST live, "
    "augmentation against overfitting, and what each layer sees."
)

st.header("Three ideas behind convnets")
left, middle, right = st.columns(3)
with left:
    st.subheader("Local patterns")
    st.markdown(
        "A **dense** layer connects every input pixel to every unit, so it learns *global* "
        "patterns of the whole image. A **convolution** layer slides a small window (3x3 or 5x5) "
        "over the image and learns *local* patterns inside that window: edges, corners, textures."
    )
with middle:
    st.subheader("Translation invariance")
    st.markdown(
        "The same filter is applied at every position, so a pattern learned in the lower-left "
        "corner is recognised anywhere else too. A convnet needs far fewer examples than a dense "
        "network to learn what a stroke or an eye looks like."
    )
with right:
    st.subheader("A spatial hierarchy")
    st.markdown(
        "Stacked convolutions see ever larger regions: the first layer finds edges, the next "
        "combines edges into textures and parts, and deeper layers respond to whole concepts "
        "such as ears and eyes. Pooling halves the maps between layers to make this cheap."
    )

st.header("Map of the app")
st.markdown("**Concepts**: one operation at a time, with real numbers at every step.")
c1, c2, c3, c4 = st.columns(4)
c1.page_link(
    "pages/convolution.py",
    label="Convolution",
    icon="🔲",
    help="Window, products, sums, channels and bias, several filters",
)
c2.page_link("pages/padding.py", label="Padding", icon="🖼️", help="valid vs same vs explicit zero padding")
c3.page_link("pages/stride.py", label="Stride", icon="👣", help="How far the window jumps, and the output size")
c4.page_link("pages/pooling.py", label="Pooling", icon="🔽", help="Max and average pooling, downsampling a feature map")

st.markdown("**Practice**: train real models on this server, and watch them learn.")
p1, p2, p3, p4 = st.columns(4)
p1.page_link(
    "pages/augmentation.py",
    label="Augmentation",
    icon="🔀",
    help="Rotations, shifts, shear, zoom and flips, previewed live",
)
p2.page_link(
    "pages/training.py", label="Train on MNIST", icon="📈", help="The seed's convnet with live loss and accuracy charts"
)
p3.page_link(
    "pages/folder_training.py",
    label="Train on image folders",
    icon="🗂️",
    help="Cats vs dogs or your own zip of class folders",
)
p4.page_link(
    "pages/overfitting_lab.py", label="Overfitting lab", icon="⚖️", help="Plain vs augmentation + dropout, side by side"
)

st.markdown("**Inside the network**: open up a trained model.")
i1, i2, _, _ = st.columns(4)
i1.page_link(
    "pages/activations.py",
    label="Activation maps",
    icon="🔥",
    help="Every layer's feature maps, Grad-CAM and filter patterns",
)
i2.page_link(
    "pages/digits.py",
    label="Read my digit",
    icon="✍️",
    help="Webcam, drawing pad or photo, preprocessed the way MNIST was",
)

st.caption(
    "Everything runs offline on bundled data: the full MNIST set (Yann LeCun, Corinna Cortes and "
    "Christopher J.C. Burges, CC BY-SA 3.0) and models trained from it. Photo of Chelsea the cat "
    "by Stefan van der Walt (CC0), from scikit-image."
)
