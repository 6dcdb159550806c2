#!/usr/bin/env Rscript
# Reference numbers from R's glmnet (and survival::coxph for Efron ties) for issue 15.
#
# Regenerate (from the repository root):
#     Rscript scripts/glmnet_reference.R tests/reference/glmnet
#
# Writes small JSON files into the given folder:
#   data_<name>.json   the data every fit used (glmnet's example data sets, some rows
#                      subsampled; written first and read back, so the fits use exactly
#                      the numbers Python reads)
#   <family>.json      one file per family: versions, and a list of cases with all
#                      glmnet arguments, lambda, coefficients (as coef() returns them, in
#                      original units) and deviance / dev.ratio per lambda.
# Every fit uses thresh = 1e-30 (tighter than the 1e-14 the issue asks for: at 1e-14 the
# Poisson KKT residuals are still ~1e-6), a large maxit and an explicit lambda vector.

suppressPackageStartupMessages({
  library(glmnet)
  library(survival)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "tests/reference/glmnet"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

THRESH <- 1e-30
MAXIT <- 1e7
# bnorm (the group-norm step of grouped multinomial and mgaussian) to full precision too
invisible(glmnet.control(prec = 1e-16, mxit = 1000))
versions <- list(
  glmnet = as.character(packageVersion("glmnet")),
  survival = as.character(packageVersion("survival")),
  R = R.version.string
)

write_json_file <- function(obj, name) {
  path <- file.path(out_dir, name)
  # digits = NA: full double precision (15 significant digits, read back below).
  writeLines(toJSON(obj, digits = NA, auto_unbox = TRUE, null = "null", na = "null"), path)
  invisible(path)
}

# ---------------------------------------------------------------- data sets
load_example <- function(name) {
  e <- new.env()
  data(list = name, package = "glmnet", envir = e)
  get(name, envir = e)
}

# Write a data set and read it back: the fits below use what Python will read.
store_data <- function(name, source, x, y, note) {
  obj <- list(name = name, source = source, note = note, x = unname(x), y = unname(y))
  path <- write_json_file(obj, paste0("data_", name, ".json"))
  back <- fromJSON(path)
  list(x = as.matrix(back$x), y = back$y, name = name)
}

qs <- load_example("QuickStartExample")
d_gauss <- store_data("quickstart", "glmnet::QuickStartExample", qs$x, drop(qs$y),
                      "all 100 rows, 20 features")

po <- load_example("PoissonExample")
d_pois <- store_data("poisson", "glmnet::PoissonExample", po$x, po$y,
                     "all 500 rows, 20 features; y counts")

cx <- load_example("CoxExample")
d_cox <- store_data("cox", "glmnet::CoxExample", cx$x[1:300, ], unname(cx$y[1:300, ]),
                    "first 300 of 1000 rows, 30 features; y columns (time, status); no tied times")
# Tied times: CoxExample's times rounded to one decimal (many ties, also between events
# and censored observations), the first 200 rows and the first 10 features.
d_coxt <- store_data("cox_ties", "glmnet::CoxExample, times rounded",
                     cx$x[1:200, 1:10],
                     cbind(pmax(round(cx$y[1:200, 1], 1), 0.1), cx$y[1:200, 2]),
                     "rows 1..200, features 1..10 of CoxExample; time = max(round(time, 1), 0.1)")

mn <- load_example("MultinomialExample")
d_mult <- store_data("multinomial", "glmnet::MultinomialExample", mn$x[1:300, ], mn$y[1:300],
                     "first 300 of 500 rows, 30 features; y classes 1, 2, 3")

bi <- load_example("BinomialExample")
d_bin <- store_data("binomial", "glmnet::BinomialExample", bi$x, bi$y,
                    "all 100 rows, 30 features; y in {0, 1}")

mg <- load_example("MultiGaussianExample")
d_mgau <- store_data("mgaussian", "glmnet::MultiGaussianExample", mg$x, mg$y,
                     "all 100 rows, 20 features, 4 responses")

# Deterministic extras (weights, offsets, bounds), rounded so that JSON holds them exactly.
set.seed(20261130)
w_gauss <- round(runif(nrow(d_gauss$x), 0.2, 2), 3)
w_pois <- round(runif(nrow(d_pois$x), 0.2, 2), 3)
off_pois <- round(rnorm(nrow(d_pois$x), 0, 0.3), 3)
w_cox <- round(runif(nrow(d_cox$x), 0.2, 2), 3)
w_coxt <- round(runif(nrow(d_coxt$x), 0.2, 2), 3)
off_cox <- round(rnorm(nrow(d_cox$x), 0, 0.3), 3)
# (drawn after the others, so that adding them left the earlier draws unchanged)
w_bin <- round(runif(nrow(d_bin$x), 0.2, 2), 3)
off_bin <- round(rnorm(nrow(d_bin$x), 0, 0.5), 3)

# ---------------------------------------------------------------- helpers
# Lambda values: fractions of glmnet's lambda_max for the same problem, rounded to 3
# significant digits (an explicit vector, not glmnet's grid).
pick_lambda <- function(x, y, family, fractions, ...) {
  f <- glmnet(x, y, family = family, nlambda = 5, ...)
  signif(max(f$lambda) * fractions, 3)
}

fit_case <- function(name, data, family, lambda, args) {
  call_args <- c(list(x = data$x, y = data$y, family = family, lambda = lambda,
                      thresh = THRESH, maxit = MAXIT), args)
  fit <- do.call(glmnet, call_args)
  cf <- coef(fit)
  L <- length(fit$lambda)
  if (is.list(cf)) {
    # multinomial / mgaussian: one coefficient matrix per class / response
    K <- length(cf)
    a0 <- lapply(seq_len(L), function(l) sapply(cf, function(m) m[1, l]))
    beta <- lapply(seq_len(L), function(l) t(sapply(cf, function(m) m[-1, l])))  # K x p
    classes <- names(cf)
  } else if (family == "cox") {
    a0 <- NULL
    beta <- lapply(seq_len(L), function(l) cf[, l])
    classes <- NULL
  } else {
    a0 <- unname(cf[1, ])
    beta <- lapply(seq_len(L), function(l) unname(cf[-1, l]))
    classes <- NULL
  }
  stored_args <- args
  stored_args$thresh <- THRESH
  stored_args$maxit <- MAXIT
  list(
    name = name, family = family, data = data$name,
    glmnet_args = stored_args,
    lambda = fit$lambda,                       # decreasing, as glmnet orders them
    a0 = a0, beta = lapply(beta, unname), classes = classes,
    dev_ratio = fit$dev.ratio, nulldev = fit$nulldev,
    deviance = deviance(fit), npasses = fit$npasses, jerr = fit$jerr,
    fit = fit
  )
}

strip <- function(case) { case$fit <- NULL; case }

write_family <- function(family, cases, extra = list()) {
  obj <- c(list(family = family, versions = versions,
                cases = lapply(cases, strip)), extra)
  write_json_file(obj, paste0(family, ".json"))
}

# ---------------------------------------------------------------- gaussian
p <- ncol(d_gauss$x)
lam_g <- pick_lambda(d_gauss$x, d_gauss$y, "gaussian", c(0.5, 0.2, 0.05, 0.01),
                     standardize = FALSE)
pf <- rep(1, p); pf[c(1, 5)] <- 0; pf[c(3, 4)] <- 2     # a zero and unequal factors
lo <- rep(-Inf, p); lo[c(1, 3, 6, 14)] <- 0             # per-feature bounds
up <- rep(Inf, p); up[c(1, 5, 20)] <- 0.5; up[14] <- 0.2
gaussian_cases <- list(
  fit_case("std_false_alpha1", d_gauss, "gaussian", lam_g,
           list(alpha = 1, standardize = FALSE)),
  fit_case("std_true_alpha1", d_gauss, "gaussian", lam_g,
           list(alpha = 1, standardize = TRUE)),
  fit_case("std_false_alpha05_weights", d_gauss, "gaussian", lam_g,
           list(alpha = 0.5, standardize = FALSE, weights = w_gauss)),
  fit_case("std_true_alpha05_weights", d_gauss, "gaussian", lam_g,
           list(alpha = 0.5, standardize = TRUE, weights = w_gauss)),
  fit_case("std_false_alpha1_bounds_scalar", d_gauss, "gaussian", lam_g,
           list(alpha = 1, standardize = FALSE, lower.limits = -0.5, upper.limits = 1)),
  fit_case("std_false_alpha05_bounds_vector", d_gauss, "gaussian", lam_g,
           list(alpha = 0.5, standardize = FALSE, lower.limits = lo, upper.limits = up)),
  fit_case("std_true_alpha1_bounds_vector", d_gauss, "gaussian", lam_g,
           list(alpha = 1, standardize = TRUE, lower.limits = lo, upper.limits = up)),
  fit_case("std_false_alpha1_penalty_factor", d_gauss, "gaussian", lam_g,
           list(alpha = 1, standardize = FALSE, penalty.factor = pf)),
  fit_case("std_true_alpha05_penalty_factor_weights", d_gauss, "gaussian", lam_g,
           list(alpha = 0.5, standardize = TRUE, penalty.factor = pf, weights = w_gauss))
)
write_family("gaussian", gaussian_cases)

# ---------------------------------------------------------------- poisson
lam_p <- pick_lambda(d_pois$x, d_pois$y, "poisson", c(0.5, 0.2, 0.05, 0.01),
                     standardize = FALSE)
poisson_cases <- list(
  fit_case("std_false_alpha1", d_pois, "poisson", lam_p,
           list(alpha = 1, standardize = FALSE)),
  fit_case("std_true_alpha1", d_pois, "poisson", lam_p,
           list(alpha = 1, standardize = TRUE)),
  fit_case("std_false_alpha05_offset", d_pois, "poisson", lam_p,
           list(alpha = 0.5, standardize = FALSE, offset = off_pois)),
  fit_case("std_true_alpha05_offset", d_pois, "poisson", lam_p,
           list(alpha = 0.5, standardize = TRUE, offset = off_pois)),
  fit_case("std_false_alpha1_offset_weights", d_pois, "poisson", lam_p,
           list(alpha = 1, standardize = FALSE, offset = off_pois, weights = w_pois)),
  fit_case("std_true_alpha1_bounds_scalar", d_pois, "poisson", lam_p,
           list(alpha = 1, standardize = TRUE, lower.limits = -0.2, upper.limits = 0.3))
)
write_family("poisson", poisson_cases)

# ---------------------------------------------------------------- cox
surv_of <- function(d) { y <- d$y; colnames(y) <- c("time", "status"); y }
d_cox$y <- surv_of(d_cox)
d_coxt$y <- surv_of(d_coxt)
lam_c <- pick_lambda(d_cox$x, d_cox$y, "cox", c(0.5, 0.2, 0.05, 0.01), standardize = FALSE)
lam_ct <- pick_lambda(d_coxt$x, d_coxt$y, "cox", c(0.5, 0.2, 0.05, 0.01),
                      standardize = FALSE)
with_cox_deviance <- function(case, data) {
  # coxnet.deviance at the fitted coefficients, std.weights = TRUE (its default:
  # weights rescaled to sum to n) and FALSE (weights as given).
  w <- case$glmnet_args$weights
  off <- case$glmnet_args$offset
  eta <- sapply(case$beta, function(b) drop(data$x %*% b))
  case$coxnet_deviance <- sapply(seq_len(ncol(eta)), function(l)
    coxnet.deviance(pred = eta[, l], y = data$y, offset = off, weights = w))
  case$coxnet_deviance_raw_weights <- sapply(seq_len(ncol(eta)), function(l)
    coxnet.deviance(pred = eta[, l], y = data$y, offset = off, weights = w,
                    std.weights = FALSE))
  case$coxnet_deviance_null <- coxnet.deviance(pred = rep(0, nrow(data$x)), y = data$y,
                                               offset = off, weights = w)
  case
}
cox_cases <- list(
  fit_case("std_false_alpha1", d_cox, "cox", lam_c, list(alpha = 1, standardize = FALSE)),
  fit_case("std_true_alpha1", d_cox, "cox", lam_c, list(alpha = 1, standardize = TRUE)),
  fit_case("std_false_alpha05", d_cox, "cox", lam_c, list(alpha = 0.5, standardize = FALSE)),
  fit_case("std_true_alpha05_weights", d_cox, "cox", lam_c,
           list(alpha = 0.5, standardize = TRUE, weights = w_cox)),
  fit_case("std_false_alpha0", d_cox, "cox", lam_c, list(alpha = 0, standardize = FALSE)),
  fit_case("std_false_alpha1_offset", d_cox, "cox", lam_c,
           list(alpha = 1, standardize = FALSE, offset = off_cox)),
  fit_case("ties_std_false_alpha1", d_coxt, "cox", lam_ct,
           list(alpha = 1, standardize = FALSE)),
  fit_case("ties_std_false_alpha05_weights", d_coxt, "cox", lam_ct,
           list(alpha = 0.5, standardize = FALSE, weights = w_coxt)),
  fit_case("ties_std_true_alpha0", d_coxt, "cox", lam_ct,
           list(alpha = 0, standardize = TRUE)),
  fit_case("std_false_alpha1_bounds_scalar", d_cox, "cox", lam_c,
           list(alpha = 1, standardize = FALSE, lower.limits = -0.2, upper.limits = 0.3))
)
cox_data <- list(cox = d_cox, cox_ties = d_coxt)
cox_cases <- lapply(cox_cases, function(cs) with_cox_deviance(cs, cox_data[[cs$data]]))

# Efron ties: glmnet 4.1's coxnet (the Fortran path used for right-censored data without
# strata) has no ties argument and uses Breslow. survival::coxph gives the Efron (and
# Breslow) log partial likelihood at fixed coefficients and ridge-penalised fits.
sy <- Surv(d_coxt$y[, "time"], d_coxt$y[, "status"])
xt <- d_coxt$x
beta_fixed <- cox_cases[[7]]$beta[[3]]
loglik_at <- function(beta, ties, weights = NULL) {
  fit <- coxph(sy ~ xt, init = beta, ties = ties, weights = weights,
               control = coxph.control(iter.max = 0))
  fit$loglik[1]
}
efron_loglik <- list()
for (ties in c("efron", "breslow")) {
  for (use_w in c(FALSE, TRUE)) {
    w <- if (use_w) w_coxt else NULL
    efron_loglik[[length(efron_loglik) + 1]] <- list(
      ties = ties, weights = w, beta = beta_fixed,
      loglik = suppressWarnings(loglik_at(beta_fixed, ties, w)),
      loglik_zero = suppressWarnings(loglik_at(rep(0, ncol(xt)), ties, w))
    )
  }
}
ridge_fits <- list()
for (ties in c("efron", "breslow")) {
  for (theta in c(20, 2)) {
    fit <- coxph(sy ~ ridge(xt, theta = theta, scale = FALSE), ties = ties,
                 control = coxph.control(eps = 1e-13, iter.max = 200, toler.chol = 1e-15))
    ridge_fits[[length(ridge_fits) + 1]] <- list(
      ties = ties, theta = theta, coef = unname(coef(fit)),
      loglik_penalized = fit$loglik[2], iter = fit$iter
    )
  }
}
write_family("cox", cox_cases, list(
  ties_used_by_glmnet = "breslow",
  coxph_loglik = efron_loglik,
  coxph_ridge = ridge_fits,
  coxph_note = paste(
    "survival::coxph on data_cox_ties: 'coxph_loglik' is the log partial likelihood",
    "(sum over events, raw weights) at 'beta' and at zero; 'coxph_ridge' minimises",
    "-loglik + theta/2 * ||beta||^2 (ridge(scale = FALSE)), unnormalised sums."
  )
))

# ---------------------------------------------------------------- binomial
# Box constraints and offsets for logistic regression (issue 15's LogisticRegression
# lower_bounds / upper_bounds / offset).
p_bin <- ncol(d_bin$x)
lam_b <- pick_lambda(d_bin$x, d_bin$y, "binomial", c(0.5, 0.2, 0.05, 0.01),
                     standardize = FALSE)
lo_b <- rep(-Inf, p_bin); lo_b[c(1, 2, 5, 10)] <- c(0, -0.2, 0, -0.1)
up_b <- rep(Inf, p_bin); up_b[c(3, 4, 6, 10)] <- c(0.3, 0, 0.5, 0.1)
binomial_cases <- list(
  fit_case("std_false_alpha1_bounds_scalar", d_bin, "binomial", lam_b,
           list(alpha = 1, standardize = FALSE, lower.limits = -0.3, upper.limits = 0.5)),
  fit_case("std_true_alpha05_bounds_vector", d_bin, "binomial", lam_b,
           list(alpha = 0.5, standardize = TRUE, lower.limits = lo_b, upper.limits = up_b)),
  fit_case("std_false_alpha1_offset", d_bin, "binomial", lam_b,
           list(alpha = 1, standardize = FALSE, offset = off_bin)),
  fit_case("std_true_alpha05_offset_weights", d_bin, "binomial", lam_b,
           list(alpha = 0.5, standardize = TRUE, offset = off_bin, weights = w_bin)),
  fit_case("std_false_alpha1_offset_bounds", d_bin, "binomial", lam_b,
           list(alpha = 1, standardize = FALSE, offset = off_bin,
                lower.limits = -0.3, upper.limits = 0.5))
)
write_family("binomial", binomial_cases)

# ---------------------------------------------------------------- multinomial
lam_m <- pick_lambda(d_mult$x, d_mult$y, "multinomial", c(0.5, 0.2, 0.05, 0.02),
                     standardize = FALSE)
multinomial_cases <- list(
  fit_case("ungrouped_std_false_alpha1", d_mult, "multinomial", lam_m,
           list(alpha = 1, standardize = FALSE, type.multinomial = "ungrouped")),
  fit_case("grouped_std_false_alpha1", d_mult, "multinomial", lam_m,
           list(alpha = 1, standardize = FALSE, type.multinomial = "grouped")),
  fit_case("ungrouped_std_true_alpha1", d_mult, "multinomial", lam_m,
           list(alpha = 1, standardize = TRUE, type.multinomial = "ungrouped")),
  fit_case("grouped_std_true_alpha1", d_mult, "multinomial", lam_m,
           list(alpha = 1, standardize = TRUE, type.multinomial = "grouped")),
  fit_case("grouped_std_false_alpha05", d_mult, "multinomial", lam_m,
           list(alpha = 0.5, standardize = FALSE, type.multinomial = "grouped"))
)
write_family("multinomial", multinomial_cases)

# ---------------------------------------------------------------- multinomial options
# An n x K offset and lower.limits / upper.limits (every class coefficient of a feature
# bounded), glmnet's family="multinomial" (issue 15). Drawn after every other extra, so
# that the earlier draws are unchanged. Written to multinomial_options.json.
p_mult <- ncol(d_mult$x)
off_mult <- matrix(round(rnorm(nrow(d_mult$x) * 3, 0, 0.5), 3), ncol = 3)
w_mult <- round(runif(nrow(d_mult$x), 0.2, 2), 3)
lo_m <- rep(-Inf, p_mult); lo_m[c(1, 2, 5, 10, 20)] <- c(0, -0.2, 0, -0.1, -0.05)
up_m <- rep(Inf, p_mult); up_m[c(3, 4, 6, 10, 21)] <- c(0.3, 0, 0.2, 0.1, 0.05)
multinomial_option_cases <- list(
  fit_case("ungrouped_std_false_alpha1_offset", d_mult, "multinomial", lam_m,
           list(alpha = 1, standardize = FALSE, type.multinomial = "ungrouped",
                offset = off_mult)),
  fit_case("ungrouped_std_true_alpha05_offset_weights", d_mult, "multinomial", lam_m,
           list(alpha = 0.5, standardize = TRUE, type.multinomial = "ungrouped",
                offset = off_mult, weights = w_mult)),
  fit_case("grouped_std_false_alpha1_offset", d_mult, "multinomial", lam_m,
           list(alpha = 1, standardize = FALSE, type.multinomial = "grouped",
                offset = off_mult)),
  fit_case("grouped_std_true_alpha05_offset", d_mult, "multinomial", lam_m,
           list(alpha = 0.5, standardize = TRUE, type.multinomial = "grouped",
                offset = off_mult)),
  fit_case("ungrouped_std_false_alpha1_bounds_scalar", d_mult, "multinomial", lam_m,
           list(alpha = 1, standardize = FALSE, type.multinomial = "ungrouped",
                lower.limits = -0.1, upper.limits = 0.15)),
  fit_case("ungrouped_std_true_alpha05_bounds_vector_offset", d_mult, "multinomial", lam_m,
           list(alpha = 0.5, standardize = TRUE, type.multinomial = "ungrouped",
                lower.limits = lo_m, upper.limits = up_m, offset = off_mult))
)
write_json_file(list(family = "multinomial", versions = versions,
                     cases = lapply(multinomial_option_cases, strip)),
                "multinomial_options.json")

# ---------------------------------------------------------------- mgaussian
lam_mg <- pick_lambda(d_mgau$x, d_mgau$y, "mgaussian", c(0.5, 0.2, 0.05, 0.01),
                      standardize = FALSE)
mgaussian_cases <- list(
  fit_case("std_false_alpha1", d_mgau, "mgaussian", lam_mg,
           list(alpha = 1, standardize = FALSE, standardize.response = FALSE)),
  fit_case("std_false_alpha05", d_mgau, "mgaussian", lam_mg,
           list(alpha = 0.5, standardize = FALSE, standardize.response = FALSE)),
  fit_case("std_true_alpha1", d_mgau, "mgaussian", lam_mg,
           list(alpha = 1, standardize = TRUE, standardize.response = FALSE))
)
write_family("mgaussian", mgaussian_cases)

cat("glmnet", versions$glmnet, "survival", versions$survival, versions$R, "\n")
cat("wrote", length(list.files(out_dir, pattern = "json$")), "JSON files to", out_dir, "\n")
