# Reference values for censored regression (tests/regression/test_censored_regression.py).
# R 4.2.2, survival (Debian r-cran-survival). Run from this directory:
#   python make_data.py && Rscript make_fixtures.R
# Writes survreg.json: coefficients, log(scale), log-likelihood and covariance of each fit.
library(survival)
d <- read.csv("survival.csv")
tb <- read.csv("tobit.csv")
one <- function(fit) {
  list(coef = unname(coef(fit)), names = names(coef(fit)),
       log_scale = if (length(fit$scale) && fit$dist != "exponential") log(fit$scale) else NULL,
       loglik = fit$loglik[2], vcov = unname(as.matrix(vcov(fit))),
       vcov_names = colnames(vcov(fit)), n = nrow(fit$y),
       r = paste(R.version$major, R.version$minor, sep = "."),
       survival = as.character(packageVersion("survival")))
}
out <- list(
  weibull = one(survreg(Surv(time, status) ~ x1 + x2, data = d, dist = "weibull")),
  lognormal = one(survreg(Surv(time, status) ~ x1 + x2, data = d, dist = "lognormal")),
  exponential = one(survreg(Surv(time, status) ~ x1 + x2, data = d, dist = "exponential")),
  weibull_interval = one(survreg(Surv(left, right, type = "interval2") ~ x1 + x2, data = d,
                                 dist = "weibull")),
  tobit = one(survreg(Surv(y, y > 0, type = "left") ~ x1 + x2, data = tb, dist = "gaussian"))
)
writeLines(jsonlite_free <- (function(x) {
  # a small JSON writer (jsonlite is not in the Debian base set)
  enc <- function(v) {
    if (is.null(v)) return("null")
    if (is.list(v)) {
      if (!is.null(names(v))) return(paste0("{", paste0('"', names(v), '": ',
                                     vapply(v, enc, ""), collapse = ", "), "}"))
      return(paste0("[", paste(vapply(v, enc, ""), collapse = ", "), "]"))
    }
    if (is.matrix(v)) return(paste0("[", paste(apply(v, 1, function(r) enc(as.vector(r))),
                                              collapse = ", "), "]"))
    if (is.character(v)) return(if (length(v) == 1) paste0('"', v, '"') else
                                paste0("[", paste0('"', v, '"', collapse = ", "), "]"))
    s <- formatC(v, digits = 17, format = "g")
    if (length(v) == 1) s else paste0("[", paste(s, collapse = ", "), "]")
  }
  enc(x)
})(out), "survreg.json")
