"""The infrastructure app: the data lake's landing zone, one stage per environment.

Units (each a construct, wired by `stack.DataLakeInfrastructure`): `network.Network`,
`storage.Storage`, optional `redshift.RedshiftServerless`, and `exports.ContractExports`
(the SSM contract, the only thing job families read).
"""
