#!/usr/bin/env Rscript
# cv.glmnet(family = "cox") reference numbers for CoxPHCV (issue 15).
#
# Regenerate (from the repository root, after scripts/glmnet_reference.R wrote the data):
#     Rscript scripts/glmnet_cox_cv_reference.R tests/reference/glmnet
#
# Reads data_cox.json and data_cox_ties.json (the data the glmnet fits used) and writes
# cox_cv.json: for fixed fold ids and an explicit lambda vector, cv.glmnet's cvm, cvsd,
# lambda.min and lambda.1se for type.measure = "deviance" (grouped = TRUE, the default)
# and "C", with and without weights and an offset. Deterministic (fixed seed).
# Then cox_cv_weighted.json: the same with unequal fold sizes and unequal weights.

suppressPackageStartupMessages({
  library(glmnet)
  library(survival)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "tests/reference/glmnet"
THRESH <- 1e-30
MAXIT <- 1e7

read_data <- function(name) {
  d <- fromJSON(file.path(out_dir, paste0("data_", name, ".json")))
  y <- as.matrix(d$y)
  colnames(y) <- c("time", "status")
  list(x = as.matrix(d$x), y = y)
}

set.seed(20261130)
d_cox <- read_data("cox")
d_ties <- read_data("cox_ties")
n <- nrow(d_cox$x)
nt <- nrow(d_ties$x)
foldid <- sample(rep(seq_len(5), length.out = n))
foldid_t <- sample(rep(seq_len(4), length.out = nt))
w <- round(runif(n, 0.2, 2), 3)
w_t <- round(runif(nt, 0.2, 2), 3)
off <- round(rnorm(n, 0, 0.3), 3)

run_case <- function(name, d, foldid, measure, alpha, weights = NULL, offset = NULL) {
  fit0 <- glmnet(d$x, d$y, family = "cox", alpha = alpha, standardize = FALSE,
                 nlambda = 20, lambda.min.ratio = 0.02, weights = weights, offset = offset)
  lambda <- fit0$lambda
  cv <- cv.glmnet(d$x, d$y, family = "cox", alpha = alpha, standardize = FALSE,
                  lambda = lambda, foldid = foldid, type.measure = measure,
                  weights = weights, offset = offset, thresh = THRESH, maxit = MAXIT)
  list(name = name, data = d$name, type_measure = measure, alpha = alpha,
       foldid = foldid, weights = weights, offset = offset,
       lambda = cv$lambda, cvm = cv$cvm, cvsd = cv$cvsd,
       lambda_min = cv$lambda.min, lambda_1se = cv$lambda.1se,
       beta_min = as.vector(coef(cv, s = "lambda.min")))
}
d_cox$name <- "cox"
d_ties$name <- "cox_ties"
cases <- list(
  run_case("deviance_alpha1", d_cox, foldid, "deviance", 1),
  run_case("deviance_alpha05_weights", d_cox, foldid, "deviance", 0.5, weights = w),
  run_case("deviance_alpha1_offset", d_cox, foldid, "deviance", 1, offset = off),
  run_case("deviance_ties_alpha1_weights", d_ties, foldid_t, "deviance", 1, weights = w_t),
  run_case("C_alpha1", d_cox, foldid, "C", 1),
  run_case("C_ties_alpha1", d_ties, foldid_t, "C", 1)
)
obj <- list(
  family = "cox",
  function_called = "cv.glmnet(family = 'cox', standardize = FALSE, foldid = foldid)",
  versions = list(glmnet = as.character(packageVersion("glmnet")),
                  survival = as.character(packageVersion("survival")),
                  R = R.version.string),
  cases = cases
)
writeLines(toJSON(obj, digits = NA, auto_unbox = TRUE, null = "null", na = "null"),
           file.path(out_dir, "cox_cv.json"))

# ---------------------------------------------------------------------------------------
# Unequal fold sizes with unequal weights -> cox_cv_weighted.json. cv.glmnet weighs fold
# k by its summed event weight (deviance) or its summed weight (C, whose pairs (i, j)
# count w_i w_j in survival::concordance).
set.seed(20261201)
foldid_u <- sample(rep(seq_len(5), times = c(20, 40, 60, 80, 100)))
foldid_ut <- sample(rep(seq_len(4), times = c(20, 40, 60, 80)))
w_u <- round(runif(n, 0.2, 2), 3)
w_ut <- round(runif(nt, 0.2, 2), 3)
cases_w <- list(
  run_case("deviance_alpha1_weights_unequal", d_cox, foldid_u, "deviance", 1, weights = w_u),
  run_case("deviance_alpha05_unequal", d_cox, foldid_u, "deviance", 0.5),
  run_case("deviance_ties_alpha1_weights_unequal", d_ties, foldid_ut, "deviance", 1,
           weights = w_ut),
  run_case("C_alpha1_weights_unequal", d_cox, foldid_u, "C", 1, weights = w_u),
  run_case("C_alpha1_unequal", d_cox, foldid_u, "C", 1),
  run_case("C_ties_alpha1_weights_unequal", d_ties, foldid_ut, "C", 1, weights = w_ut)
)
obj$cases <- cases_w
writeLines(toJSON(obj, digits = NA, auto_unbox = TRUE, null = "null", na = "null"),
           file.path(out_dir, "cox_cv_weighted.json"))
