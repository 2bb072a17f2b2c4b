# Reference values for tests/regression/test_profile_intervals.py and
# tests/regression/test_predict_interval.py (issue #23 item 4).
# Run from this directory with R 4.2 (MASS, jsonlite):  Rscript make_fixtures.R
# confint() on a glm in R 4.2 dispatches to MASS's profile method (confint.glm).
suppressMessages({library(MASS); library(jsonlite)})
d <- read.csv("glm_data.csv")
ends <- function(ci) list(lower = unname(ci[, 1]), upper = unname(ci[, 2]),
                          names = rownames(ci))
pois <- glm(count ~ x1 + x2, family = poisson, data = d)
logit <- glm(yes ~ x1 + x2, family = binomial, data = d)
ols <- lm(y ~ x1 + x2, data = d)
new <- data.frame(x1 = c(-2, 0, 0.5, 3), x2 = c(0, 1, 1.7, 2.5))
pi90 <- predict(ols, newdata = new, interval = "prediction", level = 0.90)
pi95 <- predict(ols, newdata = new, interval = "prediction", level = 0.95)
out <- list(
  R_version = R.version.string, MASS_version = as.character(packageVersion("MASS")),
  poisson = c(list(coef = unname(coef(pois))), ends(confint(pois, level = 0.95))),
  poisson_90 = ends(confint(pois, level = 0.90)),
  logistic = c(list(coef = unname(coef(logit))), ends(confint(logit, level = 0.95))),
  predict_lm = list(newdata = new,
                    fit = unname(pi95[, "fit"]),
                    lower_95 = unname(pi95[, "lwr"]), upper_95 = unname(pi95[, "upr"]),
                    lower_90 = unname(pi90[, "lwr"]), upper_90 = unname(pi90[, "upr"])))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "fixtures.json")
