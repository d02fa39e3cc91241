"""Part I: structuring data and linear models, the methods that need no neural network.

One module per idea: ``pca``, ``kernel_pca``, ``tsne`` and ``cluster`` (k-means) find structure
in unlabelled data; ``linear_model`` (least squares, ridge) and ``classifiers`` (logistic
regression, the perceptron) fit linear models; ``metrics`` scores them.
"""
