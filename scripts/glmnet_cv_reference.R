#!/usr/bin/env Rscript
# Reference cross-validation curves from R's cv.glmnet, family = "poisson" (issue 15).
#
# Regenerate (from the repository root, after scripts/glmnet_reference.R):
#     Rscript scripts/glmnet_cv_reference.R tests/reference/glmnet
#
# Reads data_poisson.json (PoissonExample, as stored by glmnet_reference.R) and the offset
# of poisson.json's "std_false_alpha05_offset" case, and writes cv_poisson.json: for each
# case the fixed foldid, glmnet's own lambda sequence (nlambda = 100, lambda.min.ratio =
# 1e-4, computed by glmnet on all the data and passed to cv.glmnet as `lambda`), and cvm, cvsd, nzero, lambda.min, lambda.1se
# for type.measure = deviance, mse and mae. thresh = 1e-20 keeps the fold fits at ~1e-10
# of their optimum; fdev = 0 stops glmnet from shortening the lambda sequence.
# It also writes cv_poisson_weighted.json: the same with unequal observation weights
# (seeded runif(0.2, 2)) and unequal fold sizes (25, 50, 75, 100, 250 rows).

suppressPackageStartupMessages({
  library(glmnet)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "tests/reference/glmnet"

THRESH <- 1e-20
MAXIT <- 1e7
invisible(glmnet.control(fdev = 0))

data <- fromJSON(file.path(out_dir, "data_poisson.json"))
x <- as.matrix(data$x)
y <- data$y
fits <- fromJSON(file.path(out_dir, "poisson.json"), simplifyVector = FALSE)
offset_case <- Filter(function(case) case$name == "std_false_alpha05_offset", fits$cases)[[1]]
offset <- unlist(offset_case$glmnet_args$offset)

n <- nrow(x)
# Deterministic folds of equal size (50 rows each): 1, 2, ..., 10, 1, 2, ...
foldid <- rep_len(1:10, n)

cv_case <- function(name, alpha, offset = NULL) {
  measures <- list()
  # glmnet's own sequence on all the data, then passed explicitly to cv.glmnet, so that
  # every fold is fitted at exactly these lambdas.
  path_args <- list(x = x, y = y, family = "poisson", alpha = alpha, standardize = FALSE,
                    nlambda = 100, lambda.min.ratio = 1e-4, thresh = THRESH, maxit = MAXIT)
  if (!is.null(offset)) path_args$offset <- offset
  lambda <- do.call(glmnet, path_args)$lambda
  for (measure in c("deviance", "mse", "mae")) {
    cv_args <- list(x = x, y = y, family = "poisson", alpha = alpha, foldid = foldid,
                    type.measure = measure, standardize = FALSE, lambda = lambda,
                    thresh = THRESH, maxit = MAXIT)
    if (!is.null(offset)) cv_args$offset <- offset
    fit <- do.call(cv.glmnet, cv_args)
    measures[[measure]] <- list(
      cvm = fit$cvm, cvsd = fit$cvsd, nzero = unname(fit$nzero),  # nzero: full-data fit
      lambda_min = fit$lambda.min, lambda_1se = fit$lambda.1se
    )
  }
  list(name = name, alpha = alpha, has_offset = !is.null(offset),
       standardize = FALSE, nlambda = 100, lambda_min_ratio = 1e-4,
       thresh = THRESH, lambda = lambda, measures = measures)
}

cases <- list(
  cv_case("alpha1", 1),
  cv_case("alpha05_offset", 0.5, offset)
)

obj <- list(
  family = "poisson",
  versions = list(glmnet = as.character(packageVersion("glmnet")), R = R.version.string),
  data = "poisson",
  offset_from = "poisson.json: std_false_alpha05_offset",
  foldid = foldid,
  cases = cases
)
path <- file.path(out_dir, "cv_poisson.json")
writeLines(toJSON(obj, digits = NA, auto_unbox = TRUE, null = "null", na = "null"), path)
cat("wrote", path, "\n")

# ---------------------------------------------------------------------------------------
# Unequal observation weights and unequal fold sizes -> cv_poisson_weighted.json.
# cv.glmnet weighs each fold by its summed weight (cvcompute's wisum) in cvm and cvsd
# (cvstats); with equal folds and no weights this is the unweighted average above.
set.seed(20261130)
weights <- round(runif(n, 0.2, 2), 3)
# Folds of 25, 50, 75, 100, 250 rows, in a fixed shuffled order.
foldid_unequal <- sample(rep(1:5, times = c(25, 50, 75, 100, 250)))

weighted_case <- function(name, alpha, offset = NULL) {
  path_args <- list(x = x, y = y, family = "poisson", alpha = alpha, standardize = FALSE,
                    nlambda = 100, lambda.min.ratio = 1e-4, thresh = THRESH, maxit = MAXIT,
                    weights = weights)
  if (!is.null(offset)) path_args$offset <- offset
  lambda <- do.call(glmnet, path_args)$lambda
  measures <- list()
  for (measure in c("deviance", "mse", "mae")) {
    cv_args <- list(x = x, y = y, family = "poisson", alpha = alpha,
                    foldid = foldid_unequal, type.measure = measure, standardize = FALSE,
                    lambda = lambda, thresh = THRESH, maxit = MAXIT, weights = weights)
    if (!is.null(offset)) cv_args$offset <- offset
    fit <- do.call(cv.glmnet, cv_args)
    measures[[measure]] <- list(
      cvm = fit$cvm, cvsd = fit$cvsd, nzero = unname(fit$nzero),
      lambda_min = fit$lambda.min, lambda_1se = fit$lambda.1se
    )
  }
  list(name = name, alpha = alpha, has_offset = !is.null(offset),
       standardize = FALSE, nlambda = 100, lambda_min_ratio = 1e-4,
       thresh = THRESH, lambda = lambda, measures = measures)
}

obj_w <- list(
  family = "poisson",
  versions = list(glmnet = as.character(packageVersion("glmnet")), R = R.version.string),
  data = "poisson",
  offset_from = "poisson.json: std_false_alpha05_offset",
  foldid = foldid_unequal,
  weights = weights,
  cases = list(
    weighted_case("weights_unequal_folds_alpha1", 1),
    weighted_case("weights_unequal_folds_alpha05_offset", 0.5, offset)
  )
)
path_w <- file.path(out_dir, "cv_poisson_weighted.json")
writeLines(toJSON(obj_w, digits = NA, auto_unbox = TRUE, null = "null", na = "null"), path_w)
cat("wrote", path_w, "\n")
