# Reference values for ordinal regression (tests/regression/test_ordinal_regression.py).
# R 4.2.2 with MASS (polr) and, when installed, ordinal (clm). Run from this directory:
#   python make_data.py && Rscript make_fixtures.R
library(MASS)
d <- read.csv("ordinal.csv")
d$y <- factor(d$y, levels = 0:4, ordered = TRUE)
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
  s <- trimws(formatC(v, digits = 17, format = "g"))
  if (length(v) == 1) s else paste0("[", paste(s, collapse = ", "), "]")
}
out <- list()
for (m in c("logistic", "probit", "cloglog")) {
  f <- polr(y ~ x1 + x2 + x3, data = d, method = m, Hess = TRUE,
            control = list(reltol = 1e-14, maxit = 1000))
  v <- vcov(f)
  out[[paste0("polr_", m)]] <- list(coef = unname(coef(f)), zeta = unname(f$zeta),
                                    loglik = as.numeric(logLik(f)),
                                    se = unname(sqrt(diag(v))))
}
if (requireNamespace("ordinal", quietly = TRUE)) {
  for (m in c("logit", "probit")) {
    f <- ordinal::clm(y ~ x1 + x2 + x3, data = d, link = m,
                      control = ordinal::clm.control(gradTol = 1e-12))
    out[[paste0("clm_", m)]] <- list(coef = unname(f$beta), zeta = unname(f$alpha),
                                     loglik = as.numeric(logLik(f)),
                                     se = unname(sqrt(diag(vcov(f)))))
  }
}
out$versions <- list(r = paste(R.version$major, R.version$minor, sep = "."),
                     MASS = as.character(packageVersion("MASS")),
                     ordinal = if (requireNamespace("ordinal", quietly = TRUE))
                       as.character(packageVersion("ordinal")) else "not installed")
writeLines(enc(out), "reference.json")
