# many_logrank.R — R's survdiff on the 2,500-strata fixture of
# test_survival_many (check_many.py make FILE 2500 20000 3): the log-rank
# chi-square that clmseg computes in its Woodbury form (more than 2,000
# strata compared) and that R gets from the dense q x q covariance.
#
#   /usr/bin/python3 tests/survival/check_many.py make /tmp/many2500.h5 2500 20000 3
#   Rscript tests/survival/golden/many_logrank.R /tmp/many2500.h5 > tests/survival/golden/many2500_logrank.csv
#
# R 4.x, survival 3.5-3, hdf5r.  Rows with a missing branch (code -1) are
# left out, as clmseg leaves them out of the strata.
suppressMessages({library(survival); library(hdf5r)})
f <- H5File$new(commandArgs(trailingOnly = TRUE)[1], "r")
t <- f[["subscribers/tenure"]][]
e <- f[["subscribers/churned"]][]
b <- f[["subscribers/branch"]][]
ok <- b >= 0
sd <- survdiff(Surv(t[ok], e[ok]) ~ factor(b[ok]))
expected <- sd$exp
cat("chisq,df,p\n")
cat(sprintf("%.15g,%d,%.15g\n", sd$chisq, sum(expected > 0) - 1,
            pchisq(sd$chisq, sum(expected > 0) - 1, lower.tail = FALSE)))
