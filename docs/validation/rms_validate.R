# Reference numbers for shrinkage compare's optimism bootstrap: rms::validate on real data.
#
#   Rscript docs/validation/rms_validate.R docs/validation
#
# Writes <out>/bostonhousing.csv and <out>/pima2.csv (the data exactly as fitted) and
# <out>/rms_reference.json: for each data set the corrected indexes of R replicate runs of
# validate(fit, B = 200), their mean and SD across runs (the Monte-Carlo error of one
# B = 200 run), and one run with B = 2000.
suppressPackageStartupMessages({library(rms); library(mlbench)})
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "."
R <- 20

runs <- function(fit, B, R, first_seed) {
  t(sapply(seq_len(R), function(r) {
    set.seed(first_seed + r)
    v <- validate(fit, B = B)
    v[, "index.corrected"]
  }))
}

json_vec <- function(x) paste0("{", paste(sprintf('"%s": %.10g', names(x), x), collapse = ", "), "}")

report <- function(name, fit, apparent_names) {
  many <- runs(fit, 200, R, 1000)
  set.seed(7)
  big <- validate(fit, B = 2000)
  v1 <- validate(fit, B = 2)  # apparent indexes (no randomness in index.orig)
  sprintf('"%s": {"n": %d, "p": %d, "B": 200, "runs": %d,
    "apparent": %s,
    "corrected_mean": %s,
    "corrected_sd_between_runs": %s,
    "corrected_B2000": %s,
    "corrected_runs_slope": [%s]}',
    name, nrow(fit$x), ncol(fit$x), R,
    json_vec(v1[, "index.orig"]), json_vec(colMeans(many)), json_vec(apply(many, 2, sd)),
    json_vec(big[, "index.corrected"]),
    paste(sprintf("%.10g", many[, "Slope"]), collapse = ", "))
}

data(BostonHousing)
bh <- BostonHousing
bh$chas <- as.numeric(as.character(bh$chas))
write.csv(bh, file.path(out, "bostonhousing.csv"), row.names = FALSE)
fit_bh <- ols(medv ~ ., data = bh, x = TRUE, y = TRUE)

data(PimaIndiansDiabetes2)
pima <- na.omit(PimaIndiansDiabetes2)
pima$diabetes <- as.numeric(pima$diabetes == "pos")
write.csv(pima, file.path(out, "pima2.csv"), row.names = FALSE)
fit_pima <- lrm(diabetes ~ ., data = pima, x = TRUE, y = TRUE)

body <- paste(report("BostonHousing", fit_bh), report("PimaIndiansDiabetes2", fit_pima), sep = ",\n")
meta <- sprintf('"R": "%s", "rms": "%s", "mlbench": "%s"', R.version.string,
                packageVersion("rms"), packageVersion("mlbench"))
writeLines(paste0("{", meta, ",\n", body, "}"), file.path(out, "rms_reference.json"))
