# Reference fits for tests/families/test_combinators_reference.py (R is not needed at
# test time). Run from this directory:  Rscript make_fixtures.R  -> fixtures.json
# R 4.2, pscl, VGAM, jsonlite. data.csv comes from make_data.py (seeded).
suppressPackageStartupMessages({library(pscl); library(VGAM); library(jsonlite)})
d <- read.csv("data.csv")
ctl <- zeroinfl.control(reltol = 1e-14, maxit = 10000)
hctl <- hurdle.control(reltol = 1e-14, maxit = 10000)
part <- function(fit, what) {
  co <- coef(fit, model = what); se <- sqrt(diag(vcov(fit, model = what)))
  list(coef = unname(co), se = unname(se), names = names(co))
}
pscl_fit <- function(fit, theta = FALSE) {
  out <- list(llf = as.numeric(logLik(fit)), count = part(fit, "count"),
              zero = part(fit, "zero"))
  if (theta) {
    out$theta <- unname(fit$theta)
    out$se_log_theta <- unname(fit$SE.logtheta)
  }
  out
}
res <- list()
res$zip <- pscl_fit(zeroinfl(y ~ x1 + x2 | z1, data = d, dist = "poisson", control = ctl))
res$zinb <- pscl_fit(zeroinfl(y ~ x1 + x2 | z1, data = d, dist = "negbin", control = ctl),
                     TRUE)
res$hurdle_poisson <- pscl_fit(hurdle(y ~ x1 + x2 | z1, data = d, dist = "poisson",
                                      zero.dist = "binomial", control = hctl))
res$hurdle_negbin <- pscl_fit(hurdle(y ~ x1 + x2 | z1, data = d, dist = "negbin",
                                     zero.dist = "binomial", control = hctl), TRUE)
vg <- vglm(ypos ~ x1, pospoisson, data = d, control = vglm.control(epsilon = 1e-14,
                                                                     maxit = 200))
res$pospoisson <- list(llf = as.numeric(logLik(vg)), coef = unname(coef(vg)),
                       se = unname(sqrt(diag(vcov(vg)))), names = names(coef(vg)))
res$R_version <- R.version.string
res$packages <- list(pscl = as.character(packageVersion("pscl")),
                     VGAM = as.character(packageVersion("VGAM")))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), "fixtures.json")
