"""The Sage 100c tables, described once (rendered per engine by :mod:`passerelle_sandbox.sage100sql`).

Column names and widths as in Sage 100c's SQL Server databases (``FA_CodeFamille`` 11, ``DE_Code`` 9,
``AR_Ref`` 19, ``CT_Num`` 17). A subset of Sage's columns: those a connector
reads or writes. ``AG_No2`` of ``F_ARTENUMREF``/``F_GAMSTOCK`` has no foreign key: 0 means "no second range".

The catalogue tables a shop needs come last: the catalogue tree ``F_CATALOGUE`` (``CL_NoParent`` 0 = a root,
``CL_Niveau`` 0..3; articles point at it with ``CL_No1..4``), variant prices ``F_TARIFGAM``, the dated
discount schemes ("barèmes") ``F_TARIF`` / ``F_TARIFSELECT`` / ``F_TARIFREMISE``, the article's files
``F_ARTICLEMEDIA`` (paths, as ``AR_Photo``), and glossary texts ``F_GLOSSAIRE`` / ``F_ARTGLOSS``. The
column names are those of Sage 100c's generated data models (PrestaConnect's
``PRESTACONNECT/Model/Sage/SAGE_VERSION_21/DataClassesSage.dbml``) and integrators' entities (``F_TARIF``);
``GL_Langue`` (a glossary text's language: 0 none, 1 and 2 the company's languages 1 and 2) and
``AGL_Num`` are not verified. ``PASSERELLE_RESERVATION`` is not Sage's: the table an integrator adds for the
``reserve_stock`` operation of ``sage100-sql`` (one row per reservation, by the order's reference).
"""
from __future__ import annotations

__all__ = ["AUDIT", "SCHEMA"]

# Audit columns Sage adds to every table (cbMarq, the identity, is rendered apart).
AUDIT = ("cbProt S ! =0", "cbCreateur V4", "cbModification D", "cbReplication I ! =0", "cbFlag S ! =0")

# One description. A table: its name, "(business key)", then one column a line —
#   NAME TYPE [!] [=DEFAULT] [->TABLE[.COLUMN]]
# TYPE: V<n> varchar(n), N numeric(24,6), S smallint, I integer, D date and time; ! = NOT NULL.
# Other lines: "UNIQUE (a, b)" and "FK (a, b) -> TABLE (c, d)". Audit columns are added to every table.
SCHEMA = """
P_CATTARIF (cbIndice)
  cbIndice S !
  CT_Intitule V35
  CT_PrixTTC S ! =0
P_EXPEDITION (cbIndice)
  cbIndice S !
  E_Intitule V35
  E_Mode S ! =0
P_GAMME (cbIndice)
  cbIndice S !
  G_Intitule V35
  G_Type S ! =0
F_ENUMGAMME (EG_Champ, EG_Ligne)
  EG_Champ S ! ->P_GAMME.cbIndice
  EG_Ligne S !
  EG_Enumere V35 !
  EG_BorneSup N ! =0
F_FAMILLE (FA_CodeFamille)
  FA_CodeFamille V11 !
  FA_Type S ! =0
  FA_Intitule V35
  FA_Central V11
  FA_Coef N ! =0
  FA_Publie S ! =0
F_TAXE (TA_No)
  TA_No I !
  TA_Code V5 !
  TA_Intitule V35
  TA_TTaux S ! =0
  TA_Taux N ! =0
  TA_Type S ! =0
  TA_Sens S ! =1
  CG_Num V13
  UNIQUE (TA_Code)
F_ARTICLE (AR_Ref)
  AR_Ref V19 !
  AR_Design V69 ! =''
  FA_CodeFamille V11 ! ->F_FAMILLE
  AR_PrixAch N ! =0
  AR_Coef N ! =0
  AR_PrixVen N ! =0
  AR_PrixTTC S ! =0
  AR_PoidsNet N ! =0
  AR_PoidsBrut N ! =0
  AR_UnitePoids S ! =2
  AR_UniteVen S ! =1
  AR_SuiviStock S ! =2
  AR_Gamme1 S ! =0
  AR_Gamme2 S ! =0
  AR_Type S ! =0
  AR_Nomencl S ! =0
  AR_Contremarque S ! =0
  AR_Sommeil S ! =0
  AR_Publie S ! =0
  AR_CodeBarre V19
  AR_Langue1 V69
  AR_Langue2 V69
  AR_Photo V259
  CL_No1 I ! =0
  CL_No2 I ! =0
  CL_No3 I ! =0
  CL_No4 I ! =0
  AR_DateCreation D
F_DEPOT (DE_No)
  DE_No I !
  DE_Intitule V35 !
  DE_Code V9
  DE_Adresse V35
  DE_CodePostal V9
  DE_Ville V35
  DE_Principal S ! =0
F_ARTSTOCK (AR_Ref, DE_No)
  AR_Ref V19 ! ->F_ARTICLE
  DE_No I ! ->F_DEPOT
  AS_QteSto N ! =0
  AS_QteRes N ! =0
  AS_QteCom N ! =0
  AS_QtePrepa N ! =0
  AS_QteAControler N ! =0
  AS_QteMini N ! =0
  AS_QteMaxi N ! =0
  AS_MontSto N ! =0
  AS_Principal S ! =0
F_ARTGAMME (AG_No)
  AG_No I !
  AR_Ref V19 ! ->F_ARTICLE
  EG_Enumere V21 !
  AG_Type S !
F_ARTENUMREF (AR_Ref, AG_No1, AG_No2)
  AR_Ref V19 ! ->F_ARTICLE
  AG_No1 I ! ->F_ARTGAMME.AG_No
  AG_No2 I ! =0
  AE_Ref V19
  AE_CodeBarre V19
  AE_PrixAch N ! =0
  AE_Sommeil S ! =0
F_GAMSTOCK (AR_Ref, AG_No1, AG_No2, DE_No)
  AR_Ref V19 ! ->F_ARTICLE
  AG_No1 I ! ->F_ARTGAMME.AG_No
  AG_No2 I ! =0
  DE_No I ! ->F_DEPOT
  GS_QteSto N ! =0
  GS_QteRes N ! =0
  GS_QteCom N ! =0
  GS_QtePrepa N ! =0
  GS_QteAControler N ! =0
  GS_MontSto N ! =0
F_COMPTET (CT_Num)
  CT_Num V17 !
  CT_Intitule V69 ! =''
  CT_Type S ! =0
  CT_Qualite V17
  CT_Contact V35
  CT_Adresse V35
  CT_Complement V35
  CT_CodePostal V9
  CT_Ville V35
  CT_CodeRegion V25
  CT_Pays V35
  CT_Telephone V21
  CT_EMail V69
  CT_Siret V15
  N_CatTarif S ! =1
  N_CatCompta S ! =1
  N_Expedition S ! =1
  DE_No I ! =0
  CT_Sommeil S ! =0
F_LIVRAISON (LI_No)
  LI_No I !
  CT_Num V17 ! ->F_COMPTET
  LI_Intitule V35
  LI_Adresse V35
  LI_Complement V35
  LI_CodePostal V9
  LI_Ville V35
  LI_CodeRegion V25
  LI_Pays V35
  LI_Contact V35
  N_Expedition S ! =1
  N_Condition S ! =1
  LI_Principal S ! =0
  LI_Telephone V21
  LI_EMail V69
F_ARTCOMPTA (AR_Ref, ACP_Type, ACP_Champ, ACP_TypeFacture)
  AR_Ref V19 ! ->F_ARTICLE
  ACP_Type S !
  ACP_Champ S !
  ACP_ComptaCPT_CompteG V13
  ACP_ComptaCPT_CompteA V13
  ACP_ComptaCPT_Taxe1 V5
  ACP_ComptaCPT_Taxe2 V5
  ACP_ComptaCPT_Taxe3 V5
  ACP_TypeFacture S ! =0
F_FAMCOMPTA (FA_CodeFamille, FCP_Type, FCP_Champ, FCP_TypeFacture)
  FA_CodeFamille V11 ! ->F_FAMILLE
  FCP_Type S !
  FCP_Champ S !
  FCP_ComptaCPT_CompteG V13
  FCP_ComptaCPT_CompteA V13
  FCP_ComptaCPT_Taxe1 V5
  FCP_ComptaCPT_Taxe2 V5
  FCP_ComptaCPT_Taxe3 V5
  FCP_TypeFacture S ! =0
F_ARTCLIENT ()
  AR_Ref V19 ! ->F_ARTICLE
  AC_Categorie S ! =0
  CT_Num V17 ->F_COMPTET
  AC_PrixVen N ! =0
  AC_Coef N ! =0
  AC_PrixTTC S ! =0
  AC_Arrondi S ! =0
  AC_QteMont S ! =0
  EG_Champ S ! =0
  AC_Remise N ! =0
  AC_TypeRem S ! =0
  AC_RefClient V19
F_TARIFQTE (AR_Ref, TQ_RefCF, TQ_BorneSup)
  AR_Ref V19 ! ->F_ARTICLE
  TQ_RefCF V17 !
  TQ_BorneSup N !
  TQ_Remise01REM_Valeur N ! =0
  TQ_Remise01REM_Type S ! =0
  TQ_Remise02REM_Valeur N ! =0
  TQ_Remise02REM_Type S ! =0
  TQ_Remise03REM_Valeur N ! =0
  TQ_Remise03REM_Type S ! =0
  TQ_PrixNet N ! =0
F_DOCCURRENTPIECE (DC_Domaine, DC_IdCol, DC_Souche)
  DC_Domaine S !
  DC_IdCol S !
  DC_Souche S ! =0
  DC_Piece V13 !
F_DOCENTETE (DO_Domaine, DO_Type, DO_Piece)
  DO_Domaine S !
  DO_Type S !
  DO_Piece V13 !
  DO_Date D !
  DO_Ref V17
  DO_Tiers V17 ! ->F_COMPTET.CT_Num
  CT_NumPayeur V17
  DO_Statut S ! =0
  DO_Souche S ! =0
  DE_No I ->F_DEPOT
  LI_No I ->F_LIVRAISON
  DO_Expedit S ! =1
  DO_Tarif S ! =1
  N_CatCompta S ! =1
  DO_Provenance S ! =0
  DO_DateLivr D
  DO_TotalHT N ! =0
  DO_TotalHTNet N ! =0
  DO_TotalTTC N ! =0
  DO_NetAPayer N ! =0
F_DOCLIGNE (DL_No)
  DL_No I !
  DO_Domaine S !
  DO_Type S !
  DO_Piece V13 !
  CT_Num V17 !
  DO_Date D
  DL_Ligne I !
  AR_Ref V19 ->F_ARTICLE
  AG_No1 I ! =0
  AG_No2 I ! =0
  DL_Design V69
  DL_Qte N ! =0
  DL_PrixUnitaire N ! =0
  DL_PUTTC N ! =0
  DL_Remise01REM_Valeur N ! =0
  DL_Remise01REM_Type S ! =0
  DL_Taxe1 N ! =0
  DL_CodeTaxe1 V5
  DL_MontantHT N ! =0
  DL_MontantTTC N ! =0
  DL_Valorise S ! =1
  DE_No I ->F_DEPOT
  DL_PieceBC V13
  DL_PieceBL V13
  DL_QteBC N ! =0
  DL_QteBL N ! =0
  DL_PoidsNet N ! =0
  FK (DO_Domaine, DO_Type, DO_Piece) -> F_DOCENTETE (DO_Domaine, DO_Type, DO_Piece)
P_REGLEMENT (cbIndice)
  cbIndice S !
  R_Intitule V35
  R_Code V3
F_DOCREGL (DR_No)
  DR_No I !
  DO_Domaine S !
  DO_Type S !
  DO_Piece V13 !
  DR_TypeRegl S ! =2
  DR_Date D
  DR_Libelle V35
  DR_Pourcent N ! =0
  DR_Montant N ! =0
  DR_MontantDev N ! =0
  DR_Equil S ! =0
  DR_Regle S ! =0
  N_Reglement S ! =1
  FK (DO_Domaine, DO_Type, DO_Piece) -> F_DOCENTETE (DO_Domaine, DO_Type, DO_Piece)
F_CATALOGUE (CL_No)
  CL_No I !
  CL_Intitule V35 !
  CL_Code V3
  CL_Stock S ! =0
  CL_NoParent I ! =0
  CL_Niveau S ! =0
F_TARIFGAM (AR_Ref, TG_RefCF, AG_No1, AG_No2)
  AR_Ref V19 ! ->F_ARTICLE
  TG_RefCF V17 !
  AG_No1 I ! ->F_ARTGAMME.AG_No
  AG_No2 I ! =0
  TG_Prix N ! =0
  TG_Ref V19
  TG_CodeBarre V19
  TG_PrixNouv N ! =0
F_TARIF (TF_No)
  TF_No I !
  TF_Intitule V35
  TF_Interes S ! =0
  TF_Debut D
  TF_Fin D
  TF_Objectif S ! =0
  TF_Domaine S ! =0
  TF_Base S ! =0
  TF_Calcul S ! =0
  AR_Ref V19
  TF_Remise01REM_Valeur N ! =0
  TF_Remise01REM_Type S ! =0
  TF_Type S ! =0
  CT_Num V17
F_TARIFSELECT (TF_No, TS_Interes, TS_Ref)
  TF_No I ! ->F_TARIF
  TS_Interes S !
  TS_Ref V19 !
F_TARIFREMISE (TF_No, TR_BorneSup)
  TF_No I ! ->F_TARIF
  TR_BorneSup N !
  TR_Remise01REM_Valeur N ! =0
  TR_Remise01REM_Type S ! =0
  TR_Remise02REM_Valeur N ! =0
  TR_Remise02REM_Type S ! =0
  TR_Remise03REM_Valeur N ! =0
  TR_Remise03REM_Type S ! =0
F_ARTICLEMEDIA (AR_Ref, ME_Fichier)
  AR_Ref V19 ! ->F_ARTICLE
  ME_Commentaire V69
  ME_Fichier V259 !
F_GLOSSAIRE (GL_No)
  GL_No I !
  GL_Domaine S ! =0
  GL_Intitule V35
  GL_Raccourci V7
  GL_Langue S ! =0
  GL_Text V4000
F_ARTGLOSS (AR_Ref, GL_No)
  AR_Ref V19 ! ->F_ARTICLE
  GL_No I ! ->F_GLOSSAIRE
  AGL_Num I ! =0
PASSERELLE_RESERVATION (RS_Ref)
  RS_Ref V17 !
  RS_Date D
"""
