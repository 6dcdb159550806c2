# Reference numbers for the Cox report's optimism bootstrap: rms::validate on survival's lung.
#
#   Rscript docs/validation/rms_validate_cox.R docs/validation
#
# Writes <out>/lung_complete.csv (the complete cases of survival::lung, status recoded to
# 0/1, the institution code left out: the data exactly as fitted) and
# <out>/rms_cox_reference.json: the corrected Dxy and Slope of the unpenalized Cox model
# (Breslow ties) from R replicate runs of validate(fit, B = 200), their mean and SD across
# runs (the Monte-Carlo error of one B = 200 run), and one run with B = 2000.
suppressPackageStartupMessages({library(rms); library(survival)})
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "."
d <- lung; d$inst <- NULL; d <- na.omit(d); d$status <- d$status - 1
write.csv(d, file.path(out, "lung_complete.csv"), row.names = FALSE)
fit <- cph(Surv(time, status) ~ age + sex + ph.ecog + ph.karno + pat.karno + meal.cal + wt.loss,
           data = d, x = TRUE, y = TRUE, method = "breslow")
keep <- c("Dxy", "Slope")
runs <- t(sapply(1:20, function(r) { set.seed(1000 + r); validate(fit, B = 200)[keep, "index.corrected"] }))
set.seed(7); big <- validate(fit, B = 2000)
vec <- function(x) paste0("{", paste(sprintf('"%s": %.10g', keep, x), collapse = ", "), "}")
json <- sprintf('{"R": "%s", "rms": "%s", "survival": "%s",
"lung": {"n": %d, "p": 7, "B": 200, "runs": 20, "ties": "breslow",
    "apparent": %s,
    "corrected_mean": %s,
    "corrected_sd_between_runs": %s,
    "corrected_B2000": %s}}
', R.version.string, packageVersion("rms"), packageVersion("survival"), nrow(d),
  vec(big[keep, "index.orig"]), vec(colMeans(runs)), vec(apply(runs, 2, sd)),
  vec(big[keep, "index.corrected"]))
writeLines(json, file.path(out, "rms_cox_reference.json"))
