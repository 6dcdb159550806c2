# Reference numbers for tests/linear_model/test_multitask.py::test_equals_glmnet_mgaussian.
# Reads X and Y (CSV, no header; the "X" and "Y" of tests/reference/glmnet/mgaussian_multitask.json)
# and prints glmnet's family="mgaussian" coefficients (standardize=FALSE, thresh=1e-14)
# as JSON. Usage: Rscript scripts/glmnet_mgaussian_multitask.R X.csv Y.csv > out.json   (glmnet 4.1)
library(glmnet)
args <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE))
y <- as.matrix(read.csv(args[2], header = FALSE))
lambdas <- c(0.5, 0.2, 0.05)
out <- list()
for (a in c(1, 0.5)) {
  fit <- glmnet(x, y, family = "mgaussian", alpha = a, lambda = lambdas,
                standardize = FALSE, thresh = 1e-14, maxit = 1e7)
  for (k in seq_along(lambdas)) {
    cf <- coef(fit, s = lambdas[k], exact = FALSE)
    m <- sapply(cf, function(v) as.numeric(v[, 1]))  # (1 + p) x tasks
    out[[length(out) + 1]] <- sprintf(
      '{"l1_ratio": %s, "alpha": %s, "intercept": [%s], "coef": [%s]}', a, lambdas[k],
      paste(sprintf("%.17g", m[1, ]), collapse = ", "),
      paste(apply(m[-1, , drop = FALSE], 1, function(r)
        paste0("[", paste(sprintf("%.17g", r), collapse = ", "), "]")), collapse = ", "))
  }
}
cat("[", paste(out, collapse = ",\n"), "]\n")
