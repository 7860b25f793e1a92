"""The study note's vocabulary: each term in Korean and English, its Keras argument and a definition."""

from __future__ import annotations

from typing import NamedTuple

from cnn_core.i18n import N_


class Term(NamedTuple):
    """One glossary row: the note's Korean word, the book's English one, Keras, a definition, a page."""

    korean: str
    english: str
    keras: str
    definition: str  # an English template, shown in the visitor's language
    page: str | None = None


TERMS = (
    Term(
        "합성곱",
        "convolution",
        "keras.layers.Conv2D",
        N_("Sliding a small window over the input and, at each position, summing the patch times the kernel."),
        "pages/convolution.py",
    ),
    Term(
        "합성곱 층",
        "convolution layer",
        "Conv2D(filters, kernel_size, ...)",
        N_("A layer that applies several filters by convolution; its output has one feature map per filter."),
        "pages/convolution.py",
    ),
    Term(
        "필터 / 커널",
        "filter / kernel",
        "filters=32, kernel_size=(3, 3)",
        N_("The weights one output channel is computed with: one k×k slice per input channel, plus a bias."),
        "pages/convolution.py",
    ),
    Term(
        "윈도우",
        "window",
        "kernel_size, pool_size",
        N_("The k×k region the kernel or the pooling looks at in one step."),
        "pages/convolution.py",
    ),
    Term(
        "패치",
        "patch",
        "",
        N_("The part of the input under the window at one position."),
        "pages/convolution.py",
    ),
    Term(
        "특성 맵 / 응답 맵",
        "feature map / response map",
        "",
        N_("One channel of a layer's output: how strongly one filter's pattern appears at each position."),
        "pages/convolution.py",
    ),
    Term(
        "패딩 / 제로 패딩",
        "padding / zero padding",
        'padding="valid" | "same"',
        N_('Zeros added around the input so the window also fits at the borders; Keras defaults to "valid" (none).'),
        "pages/padding.py",
    ),
    Term(
        "스트라이드",
        "stride",
        "strides=2",
        N_("How many cells the window moves between two positions; 2 halves the output size."),
        "pages/stride.py",
    ),
    Term(
        "최대 풀링 / 평균 풀링",
        "max pooling / average pooling",
        "MaxPooling2D(2), AveragePooling2D(2)",
        N_("Keeping the largest value (or the mean) of each window, usually 2×2 with stride 2."),
        "pages/pooling.py",
    ),
    Term(
        "다운샘플링",
        "downsampling",
        "",
        N_("Making feature maps smaller (by pooling or strides), so later layers see larger regions for less work."),
        "pages/pooling.py",
    ),
    Term(
        "평행이동 불변성",
        "translation invariance",
        "",
        N_("A pattern learned in one place is recognised anywhere, because the same filter is used at every position."),
        "pages/home.py",
    ),
    Term(
        "공간적 계층 구조",
        "spatial hierarchy",
        "",
        N_("Early layers learn small local patterns such as edges; later layers combine them into larger concepts."),
        "pages/activations.py",
    ),
    Term(
        "완전 연결 층",
        "fully connected (dense) layer",
        "Dense(units, activation=...)",
        N_("A layer in which every input is connected to every unit: a weighted sum plus a bias per unit."),
        "pages/network.py",
    ),
    Term(
        "데이터 증식",
        "data augmentation",
        "ImageDataGenerator(rotation_range=40, ...)",
        N_(
            "Training on randomly rotated, shifted, sheared, zoomed and flipped copies, so the model sees more variety."
        ),
        "pages/augmentation.py",
    ),
    Term(
        "드롭아웃",
        "dropout",
        "Dropout(0.5)",
        N_("Setting a random fraction of a layer's outputs to zero during training, against overfitting."),
        "pages/overfitting_lab.py",
    ),
    Term(
        "과대적합",
        "overfitting",
        "",
        N_("Doing well on the training data and worse on new data: validation loss rises while training loss falls."),
        "pages/overfitting_lab.py",
    ),
    Term(
        "활성화 / 활성화 맵",
        "activation / activation map",
        'activation="relu"',
        N_("A layer's output after its activation function (ReLU: max(0, x)); for a conv layer, its feature maps."),
        "pages/activations.py",
    ),
    Term(
        "채널",
        "channel",
        "(height, width, channels)",
        N_("The last axis of an image or feature map: R, G, B for a colour photo, one per filter after a conv layer."),
        "pages/convolution.py",
    ),
    Term(
        "편향",
        "bias",
        "use_bias=True",
        N_("The number a filter or unit adds to its weighted sum before the activation."),
        "pages/convolution.py",
    ),
)
